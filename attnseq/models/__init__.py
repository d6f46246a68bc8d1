"""Neural network modules: encoders, attention, decoders and the full model.

This layer imports only torch and the config schema; it never imports data,
training, search or serving code.
"""
