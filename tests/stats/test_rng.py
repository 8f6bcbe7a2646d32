"""The NumPy-identical PCG64 stream: golden vectors, bulk draws, jump-ahead."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from spinefairbench.stats import rng as rng_module
from spinefairbench.stats.rng import PCG64, SeedSequence, default_rng

GOLDEN_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "bootstrap-golden.json"


@pytest.fixture(scope="module")
def golden_rng():
    if not GOLDEN_PATH.exists():
        pytest.skip(f"golden vectors not available at {GOLDEN_PATH}")
    return json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))["rng_vectors"]


# -- values embedded from bootstrap.md / submission-scoring.md, so that a clean
#    clone without ../shared still checks the stream -------------------------

def test_seed_sequence_42_state_words():
    assert SeedSequence(42).generate_state_uint64() == [
        0x9F1E2E6DCD540AB7, 0xD57873DC79FB94B6, 0x7D282A1B64D420B7, 0x336579714692D5FF]
    assert SeedSequence(42).pool == (0x631D3606, 0x07AE90AE, 0x6FC4BE28, 0x2CED5C75)


def test_state_after_seeding_42():
    rng = PCG64(42)
    assert rng.state == 0xCEA44F6798798F2AACBC7C9D68860AC8
    assert rng.inc == 0xFA505436C9A8416E66CAF2E28D25ABFF


def test_first_outputs_42():
    rng = default_rng(42)
    assert rng.next_uint64() == 0xC621FBCD16D92688
    assert rng.next_uint64() == 0x705A5661A791FFC1
    halves = default_rng(42)
    assert [halves.next_uint32(), halves.next_uint32()] == [383329928, 3324115917]


def test_bounded_embedded_vectors():
    rng = default_rng(42)
    assert [rng.bounded(1000) for _ in range(8)] == [89, 773, 654, 438, 433, 858, 85, 697]
    rng = default_rng(42)
    assert [rng.bounded(4) for _ in range(8)] == [0, 3, 2, 1, 1, 3, 0, 2]


def test_one_choice_consumes_nothing():
    rng = default_rng(42)
    assert rng.integers(1, 10) == [0] * 10
    assert rng.bounded(1) == 0
    assert rng.integers(1000, 1) == [89]
    rng.next_uint32()                       # leaves the high half of output 1 buffered
    assert rng.integers(1, 5) == [0] * 5
    assert rng.next_uint32() == default_rng(42).integers(2**32, 3)[2]


def test_multiword_seed_entropy():
    assert SeedSequence(2**32 + 5).entropy_words == (5, 1)
    assert SeedSequence(0).entropy_words == (0,)
    assert SeedSequence(2**32 + 5).generate_state_uint64() != SeedSequence(5).generate_state_uint64()


def test_bad_arguments():
    with pytest.raises(ValueError):
        SeedSequence(-1)
    with pytest.raises(ValueError):
        PCG64(-5)
    with pytest.raises(TypeError):
        PCG64(1.5)
    with pytest.raises(ValueError):
        default_rng(1).integers(0, 3)
    with pytest.raises(ValueError):
        default_rng(1).integers(5, -1)
    with pytest.raises(ValueError):
        default_rng(1).lemire_words(1, 10)


# -- golden file ---------------------------------------------------------------

def test_golden_seed_sequence_and_seeding(golden_rng):
    for seed, words in golden_rng["seedseq_generate_state_4_uint64"].items():
        assert SeedSequence(int(seed)).generate_state_uint64(4) == [int(w) for w in words]
    for seed, expected in golden_rng["pcg64_state_after_seeding"].items():
        rng = PCG64(int(seed))
        assert (rng.state, rng.inc) == (int(expected["state"]), int(expected["inc"]))


def test_golden_raw_outputs(golden_rng):
    for seed, outputs in golden_rng["raw_uint64_first16"].items():
        rng = PCG64(int(seed))
        assert [rng.next_uint64() for _ in range(16)] == [int(v) for v in outputs]


def test_golden_integers_first32(golden_rng):
    vectors = golden_rng["integers_first32"]
    for n, expected in vectors["by_n"].items():
        assert default_rng(vectors["seed"]).integers(int(n), 32) == expected, n


def test_golden_integers_continuation(golden_rng):
    vectors = golden_rng["integers_continuation"]
    rng = default_rng(vectors["seed"])
    for call in vectors["calls"]:
        assert rng.integers(call["n"], call["size"]) == call["values"]


def test_golden_advance(golden_rng):
    vectors = golden_rng["advance"]
    for vector in vectors["vectors"]:
        rng = PCG64(vectors["seed"])
        rng.advance(int(vector["delta"]))
        assert [rng.next_uint64() for _ in range(4)] == [int(v) for v in vector["next4_raw_uint64"]]


# -- bulk draws against one-at-a-time draws -------------------------------------

@pytest.mark.parametrize("n", [2, 3, 7, 1000, 65537, 2**31 + 11, 2**32 - 1, 2**32])
@pytest.mark.parametrize("offset", [0, 1])
def test_bulk_matches_single_draws(n, offset):
    bulk, single = default_rng(7), default_rng(7)
    for rng in (bulk, single):
        for _ in range(offset):             # odd offset: start on a buffered half
            rng.next_uint32()
    size = 1001
    assert bulk.integers(n, size) == [single.bounded(n) for _ in range(size)]
    assert bulk.next_uint32() == single.next_uint32()


def test_lemire_words_counts_rejections():
    n = 2**31 + 11                          # about half the words are rejected
    rng = default_rng(3)
    kept, rejected = rng.lemire_words(n, 500)
    assert len(kept) == 4 * (500 - rejected)
    assert 150 < rejected < 350
    values = [int.from_bytes(kept[i:i + 4], "little") for i in range(0, len(kept), 4)]
    assert values == default_rng(3).integers(n, len(values))


def test_large_bounds_use_64_bit_outputs():
    rng = default_rng(11)
    expected = []                           # Lemire's rule on whole 64-bit outputs
    reference = default_rng(11)
    for _ in range(20):
        while True:
            product = reference.next_uint64() * (2**40 + 5)
            if product % 2**64 >= (2**64 - (2**40 + 5)) % (2**40 + 5):
                expected.append(product >> 64)
                break
    assert rng.integers(2**40 + 5, 20) == expected
    raw = default_rng(11)
    assert default_rng(11).integers(2**64, 3) == [raw.next_uint64() for _ in range(3)]


def test_bulk_lane_count_has_short_multipliers():
    # The speed-up that motivates the lane count (see rng._MAX_LANES).
    mult, _ = rng_module._lcg_jump(rng_module._MAX_LANES, 1)
    assert mult % 2**64 < 2**60 and mult >> 64 < 2**60


def test_advance_is_a_jump():
    stepped, jumped = default_rng(5), default_rng(5)
    for _ in range(1000):
        stepped.next_uint64()
    jumped.advance(1000)
    assert stepped.state == jumped.state
    jumped.advance(-1000)
    assert jumped.state == default_rng(5).state


def test_advance_drops_buffered_half():
    rng = default_rng(42)
    rng.next_uint32()
    rng.advance(0)
    expected = default_rng(42)
    expected.next_uint64()
    assert rng.next_uint32() == expected.next_uint32()


# -- NumPy, when installed ----------------------------------------------------------

def test_against_numpy():
    np = pytest.importorskip("numpy")
    rnd = random.Random(2024)
    for seed in (0, 42, 2**32 + 5, 2**64 + 7, rnd.randrange(10**9)):
        assert SeedSequence(seed).generate_state_uint64(4) == \
            np.random.SeedSequence(seed).generate_state(4, np.uint64).tolist()
    for _ in range(25):
        seed = rnd.randrange(10**6)
        reference, rng = np.random.default_rng(seed), default_rng(seed)
        for _ in range(4):
            n = rnd.choice([2, 3, 10, 257, 1000, 2950, 65536, 65537, 2**31 + 11, 2**32, 2**40])
            size = rnd.choice([1, 7, 63, 64, 65, 999, 4097])
            assert rng.integers(n, size) == reference.integers(0, n, size=size).tolist()
        assert rng.next_uint64() == int(reference.bit_generator.random_raw())
