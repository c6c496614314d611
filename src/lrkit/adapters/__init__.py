"""Bind lrkit schedules (and controllers) to a framework's optimizer.

Each framework has its own module here, and only importing that module imports the framework:
`lrkit.adapters.torch.LRSchedule` (a torch scheduler, also what Hugging Face's Trainer runs),
`lrkit.adapters.lightning.LrkitCallback`, `lrkit.adapters.huggingface.attach_schedule`,
`lrkit.adapters.keras.KerasSchedule` and `lrkit.adapters.optax.optax_schedule`. The frameworks
other than torch come with the `integrations` extra: `pip install "lrkit[integrations]"`.
"""
