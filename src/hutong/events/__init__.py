"""Events to participants: the transactional outbox (delivery lives in `hutong.net`)."""
