"""Colour science and decisions: sampling, statistics, continuity, matching, looks, CDL and LUTs.

No click, no printing: functions here return values or raise
:class:`~cinegrade.errors.InputError`.
"""

import warnings

# colour-science warns at import that matplotlib is absent; cinegrade plots without it.
warnings.filterwarnings("ignore", message='"Matplotlib" related API features are not available')
