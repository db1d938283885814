"""What ``konsel score`` checks before it scores: budget, ids, comparability.

Found when the command was tried on surveys no one here wrote: a budget that
cannot give every area its minimum was split silently, one above the register's
size was capped silently, a register whose household ids overlap the survey's
was accepted without a word, and a register unlike the survey was scored without
the warning the main job gives. Options that contradict each other stop the run
(one sentence, exit 2); what the defaults of parameters.yml cannot honour on this
data, or what may be intended, is said as a warning and the run goes on.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from konsel_analysis.errors import UserError

log = logging.getLogger(__name__)


def warn(message: str) -> None:
    """A warning line as every command prints it (``warning: ...``)."""
    log.warning("warning: %s", message)


def check_budget(
    budget: int,
    minimum: int,
    area: np.ndarray,
    register_path: Path,
    *,
    budget_given: bool,
    minimum_given: bool,
) -> int:
    """The budget to allocate: refused when the options contradict the register, else capped.

    A budget above the register's households is refused when given (``--budget``)
    and capped with a warning when it is parameters.yml's; a budget that cannot
    give each area its minimum (or all its households, where it has fewer) is
    refused when either number was given, else said as a warning (the allocation
    then gives each area ``budget // areas``).

    >>> check_budget(4, 2, np.array(["a", "a", "b", "b", "b"]), Path("r.csv"),
    ...              budget_given=True, minimum_given=True)  # 2 + 2 needed
    4
    """
    n = len(area)
    if budget > n:
        if budget_given:
            raise UserError(
                f"--budget {budget:,} is more than the {n:,} households of {register_path}; "
                f"give at most {n:,} visits"
            )
        warn(
            f"the default budget of {budget:,} visits is more than the {n:,} households of "
            f"{register_path}: every household is visited"
        )
        budget = n
    sizes = pd.Series(area).value_counts()
    needed = int(np.minimum(sizes.to_numpy(), minimum).sum())
    if budget < needed:
        said = (
            f"--budget {budget:,} cannot give each of the {len(sizes)} areas its minimum of "
            f"{minimum} visits (--min-per-area; {needed:,} visits needed)"
        )
        if budget_given or minimum_given:
            raise UserError(f"{said}; raise --budget to {needed:,} or lower --min-per-area")
        warn(f"{said}: each area gets at least {budget // len(sizes)}")
    return budget


def warn_overlapping_ids(survey_ids, register_ids, survey_path: Path, register_path: Path) -> int:
    """Say when household ids of the register also appear in the survey; how many do.

    Nothing is matched on the ids (the survey is only where the model learns),
    so an overlap means either the survey's households are in the register under
    the same ids, or the two tables number households independently (the same id,
    different households), or the survey was given as the register by mistake.
    """
    shared = len(set(map(str, survey_ids)) & set(map(str, register_ids)))
    if shared:
        warn(
            f"{shared:,} household id(s) of {register_path} also appear in the survey "
            f"{survey_path}; nothing is matched on them, so check that --register is the "
            "register and, if the two tables number households independently, that no "
            "report or list joins them on household_id"
        )
    return shared


def warn_incomparable(dataset, register) -> str | None:
    """The survey-register comparability warning of the main job (``konsel check``), said."""
    from konsel_analysis.intake.comparability import (
        comparability_warning,
        compare_survey_register,
    )

    message = comparability_warning(compare_survey_register(dataset, register))
    if message:
        warn(message)
    return message
