"""Built-in attributes a batch may write without reading the type's schema first.

For each common creatable type: the ElementNames that are writable (not ReadOnly) both in a real
Rally workspace schema of 2015 (the rally-node-ng capture) and in Rally's 2025 OpenAPI description
of WSAPI v2.0; an attribute in both has been a built-in of every workspace for a decade, so
naming it exactly (case included) needs no check against the workspace.  Anything else (another
case, a display name, a custom field without ``c_``, a type not listed) is checked against the
type's attributes read from the workspace.  ``tests/client/test_batch_known_attributes.py``
derives this table again from the two sources (the emulator's data files) and compares.
"""

from __future__ import annotations

from collections.abc import Iterable


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


WRITABLE_BUILTINS: dict[str, frozenset[str]] = {
    "HierarchicalRequirement": _names("""
        Attachments Blocked BlockedReason Changesets Description DisplayColor Expedite Iteration
        Milestones Name Notes Owner Package Parent PlanEstimate Predecessors
        Project Ready Release ScheduleState Successors Tags Workspace
    """),
    "Defect": _names("""
        AffectsDoc Attachments Blocked BlockedReason Changesets DefectSuites Description DisplayColor
        Duplicates Environment Expedite FixedInBuild FoundInBuild Iteration Milestones Name
        Notes Owner Package PlanEstimate Priority Project Ready Release
        ReleaseNote Requirement Resolution SalesforceCaseID SalesforceCaseNumber ScheduleState Severity State
        SubmittedBy Tags TargetBuild TargetDate TestCase TestCaseResult VerifiedInBuild Workspace
    """),
    "DefectSuite": _names("""
        Attachments Blocked BlockedReason Changesets Defects Description DisplayColor Expedite
        Iteration Milestones Name Notes Owner Package PlanEstimate Project
        Ready Release ScheduleState Tags Workspace
    """),
    "Task": _names("""
        Actuals Attachments Blocked BlockedReason Changesets Description DisplayColor Estimate
        Expedite Milestones Name Notes Owner Ready State Tags
        TaskIndex ToDo WorkProduct Workspace
    """),
    "TestCase": _names("""
        Attachments Changesets Description DisplayColor Expedite Method Milestones Name
        Notes Objective Owner Package PostConditions PreConditions Priority Project
        Ready Risk Tags Type ValidationExpectedResult ValidationInput WorkProduct Workspace
    """),
    "TestCaseResult": _names("""
        Attachments Build Date Duration Notes TestCase Tester Verdict
        Workspace
    """),
    "TestCaseStep": _names("""
        ExpectedResult Input StepIndex TestCase Workspace
    """),
    "Iteration": _names("""
        EndDate Name Notes PlannedVelocity StartDate State Theme Workspace
    """),
    "Release": _names("""
        GrossEstimateConversionRatio Name Notes PlannedVelocity ReleaseDate ReleaseStartDate State Theme
        Version Workspace
    """),
    "Milestone": _names("""
        Artifacts DisplayColor Name Notes RevisionHistory TargetDate TargetProject Workspace
    """),
    "Tag": _names("""
        Archived Name Workspace
    """),
}


def all_builtin(type_path: str, names: Iterable[str]) -> bool:
    """True when every name is, exactly, a writable built-in attribute of ``type_path``."""
    known = WRITABLE_BUILTINS.get(type_path)
    return known is not None and all(name in known for name in names)
