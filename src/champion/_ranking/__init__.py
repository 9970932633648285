"""Ranking: qualification, ordering and statistics over trials."""

from champion._ranking.rank import (
    FailedCase,
    LatencyStats,
    ModelRanking,
    Ranking,
    RankingRules,
    rank,
)
from champion._ranking.stats import clopper_pearson_lower, percentile

__all__ = ["FailedCase", "LatencyStats", "ModelRanking", "Ranking", "RankingRules",
           "clopper_pearson_lower", "percentile", "rank"]
