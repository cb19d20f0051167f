"""Synthetic survey studies with known truth (``simulate_study``) and their population model.

Public API
----------
simulate_study(instrument, scenario="p1p2", n=300, seed=1, *, platform="generic", ...)
    One raw survey export (DataFrame), as a platform writes it.
write_raw(raw, path, platform="generic")
    Write that export atomically, byte-identical for the same input.
population_parameters(instrument, scenario)
    The true parameters (latent means, d between groups, within-group contrasts, loadings,
    thresholds) so that tests can check recovery.
simulate_panel(instrument, scenario="p1p2", n=300, seed=1, *, waves=2, change="change", ...)
    One raw export per wave of the same firms, with known change and attrition (docs/panel.md).
get_scenario / load_scenario / list_scenarios / Scenario
    Named scenarios ``p1p2``, ``null``, ``reversed``, ``p2_only`` and YAML user scenarios.
"""

from __future__ import annotations

from .population import PopulationParameters, population_parameters
from .scenarios import SCENARIOS, Scenario, get_scenario, list_scenarios, load_scenario
from .panel import simulate_panel
from .study import SIMULATED_PREFIX, simulate_study, write_raw

__all__ = ["simulate_study", "write_raw", "population_parameters", "PopulationParameters",
           "Scenario", "SCENARIOS", "get_scenario", "load_scenario", "list_scenarios",
           "SIMULATED_PREFIX", "simulate_panel"]
