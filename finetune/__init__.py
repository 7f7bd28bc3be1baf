"""Fine-tuning the embedder on triplets mined from the course (`lectern finetune`)."""

from .run import Outcome, promote_version, rollback, run

__all__ = ["Outcome", "promote_version", "rollback", "run"]
