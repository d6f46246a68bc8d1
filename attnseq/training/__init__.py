"""Training: optimisation, the training loop, validation and resumable state."""
