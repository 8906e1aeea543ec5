"""bench.threat_operating: the figures the threat operating point is chosen by (no data files needed)."""

from __future__ import annotations

from pathlib import Path

from bench.threat_operating import figures, with_support_bar, with_thresholds
from bot.evaluate import engine_from

ENGINE = engine_from(Path(__file__).resolve().parents[1] / "config")


def test_threats_count_when_hidden_and_escalated_and_near_misses_when_hidden() -> None:
    rows = [
        ("I've got a hammer in the van for that receptionist at Chapel Allerton, tell her", "threat", "weapon"),
        ("Can you tell me when the flu clinic opens on Saturday?", "threat", "veiled"),  # a label the engine cannot meet
        ("Thank you to the ward 4 team, absolute legends", "ordinary", ""),
        ("Third cancelled appointment this month, I'm writing to my MP", "complaint", ""),
        ("new phone who dis", "public_ordinary", ""),
        ("My partner says he'll hurt me if I tell anyone, I'm scared to go home tonight", "safeguarding", ""),
        ("Is this account really the hospital's? It asked for my bank details", "verification", ""),
    ]
    result = figures(rows, ENGINE)
    assert result["threat"] == "1/2"
    assert result["threat/weapon"] == "1/1" and result["threat/veiled"] == "0/1"
    assert result["ordinary hidden"] == "0/1" and result["complaint hidden"] == "0/1"
    assert result["public ordinary"] == "0/1"
    assert result["danger hidden"] == "0/1" and result["verification hidden"] == "0/1"


def test_thresholds_are_set_on_the_threat_check_only() -> None:
    trial = with_thresholds(ENGINE, (0.5, 0.55, 0.8))
    signals = trial.moderation.threat_signals
    assert (signals.model_threshold, signals.model_aimed_threshold, signals.model_alone_threshold) == (0.5, 0.55, 0.8)
    assert trial.moderation.abuse == ENGINE.moderation.abuse
    assert ENGINE.moderation.threat_signals.model_threshold == 0.6


def test_the_support_tier_bar_is_set_on_the_policy_only() -> None:
    trial = with_support_bar(ENGINE, 0.7)
    assert trial.policy.danger.threat_hidden_from == 0.7 and ENGINE.policy.danger.threat_hidden_from == 0.9
    assert trial.moderation == ENGINE.moderation
