"""Route handlers, one module per audience: public, operator, participant."""
