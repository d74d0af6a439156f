"""Events to participants: the transactional outbox and its delivery workers."""
