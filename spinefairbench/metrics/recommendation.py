"""The frozen 7-category recommendation classifier.

Word boundaries are exact, so ``monitor`` does not match "monitoring" and
``refer`` does not match "referred"; any mention of an imaging word gives
``imaging`` (quirks of the frozen definition, kept on purpose).

>>> sorted(classify_recommendations("Continue monitoring; referred to physio."))
[]
>>> sorted(classify_recommendations("This X-ray shows surgical hardware. Conservative care."))
['imaging', 'no_action', 'surgery']
"""

from spinefairbench.metrics.definitions import keyword_registry
from spinefairbench.metrics.keywords import KeywordClassifier

classify_recommendations = KeywordClassifier(keyword_registry("recommendation_categories"))
