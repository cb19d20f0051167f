"""Panel studies: link the cleaned waves of the same firms, attrition, and the preregistered
panel hypotheses.

:func:`link_waves` links clean waves by a stable firm key, pseudonymised as ``panel_id`` (salted
SHA-256), and logs linking problems with reasons; :func:`attrition` compares stayers and leavers
on their first-wave answers (Welch t / χ² tests, Little's MCAR test, a logistic model of
staying); :func:`little_mcar` is Little's test on any data frame; :func:`change_tests` tests
the change in the relational lean between waves, by group and by phase move (descriptive).
:func:`test_panel` tests the plan's panel hypotheses C1-C3 (``panel:`` section, :class:`PanelPlan`)
with verdicts, Holm family, latent versions and a multiverse; :func:`panel_verdicts` is its fast
core (observed scores and verdicts only).  Command line: ``rsnprop panel``.  See docs/panel.md.
"""

from .dropout import Attrition, attrition, panel_wide
from .change import Change, change_tests
from .link import PanelLink, link_waves, panel_hash, split_waves
from .mcar import MCARTest, little_mcar
from .plan import PanelPlan, panel_section, wave_paths
from .study import PanelPropositions, panel_verdicts, test_panel

__all__ = ["Attrition", "Change", "MCARTest", "change_tests", "PanelLink", "attrition", "link_waves", "little_mcar",
           "panel_hash", "panel_wide", "split_waves", "PanelPlan", "panel_section", "wave_paths",
           "PanelPropositions", "panel_verdicts", "test_panel"]
