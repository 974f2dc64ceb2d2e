"""Local recommender engine: where the trained model lives, how much it keeps, when it retrains.

The engine's blend weights are not settings: each training re-tunes them on the instance's own data
(``recsys.engine.tuning``) starting from ``recsys.engine.model.EngineConfig``'s defaults, which were
measured with ``manage.py evaluate`` (see docs/design/recommender.md).
"""

from __future__ import annotations

from pathlib import Path

from reclio.env import env_int, env_str
from reclio.settings.runtime import DATA_DIR

# Trained model artefacts (npz files, one per training run; the two newest are kept).
RECSYS_MODEL_DIR = Path(env_str("RECSYS_MODEL_DIR", str(DATA_DIR / "recsys"))).resolve()
# Picks stored per user and media type (the Recommended rows and the list writer read these).
RECSYS_PICKS_PER_TYPE = env_int("RECSYS_PICKS_PER_TYPE", 50, minimum=1)
# EASE is dense in items (memory ~ 4·n² bytes): only the n most-interacted titles get the
# collaborative signal; the rest still rank through content, trend and priors. 12,000 → ~0.6 GB.
RECSYS_MAX_CF_ITEMS = env_int("RECSYS_MAX_CF_ITEMS", 12_000, minimum=0)
# Expected retraining interval (beat trains daily); the health probe warns past twice this.
RECSYS_RETRAIN_HOURS = env_int("RECSYS_RETRAIN_HOURS", 24, minimum=1)
# Seconds each training may spend tuning blend weights and the cold-profile threshold on a
# validation split of its own data (one extra fit + a search); 0 keeps the shipped defaults.
RECSYS_TUNE_SECONDS = env_int("RECSYS_TUNE_SECONDS", 120, minimum=0)
# Where ``manage.py evaluate`` writes its tables (its --results default) and GET /admin/eval reads the
# newest one; relative paths are under the checkout.
RECSYS_EVAL_RESULTS_DIR = (
    Path(__file__).resolve().parents[2] / env_str("RECSYS_EVAL_RESULTS_DIR", "results")
).resolve()
