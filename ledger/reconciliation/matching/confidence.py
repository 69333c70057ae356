"""How confident each rule is, by strength of evidence (`MatchProposal.confidence`)."""

from decimal import Decimal

# Confidence by rule and strength of evidence. Status is decided by the rule (unique and strong →
# auto), not by a threshold on these numbers; they order proposals for a reviewer.
_C = Decimal
REF_EXACT = _C("0.99")
REF_TOLERANCE = _C("0.97")
REF_MULTI = _C("0.95")
REF_PARTIAL = _C("0.90")
REF_UNKNOWN_PARTY = _C("0.80")
REF_WEAK = _C("0.70")
REF_AMBIGUOUS = _C("0.60")
AMOUNT_EXACT = _C("0.90")
AMOUNT_TOLERANCE = _C("0.85")
AMOUNT_AMBIGUOUS = _C("0.50")
AMOUNT_UNKNOWN_PARTY = _C("0.50")
MULTI = _C("0.85")
MULTI_AMBIGUOUS = _C("0.50")
INSTALMENTS = _C("0.80")
INSTALMENTS_AMBIGUOUS = _C("0.45")
PARTIAL = _C("0.35")
NEAR_MISS_AMOUNT = _C("0.60")
NEAR_MISS = _C("0.30")
