"""cwdash's data side: store, sealed tokens, configuration, live reads and the read model.

Nothing in this package imports Textual: the headless commands start fast and the
read model can be tested and benchmarked without a screen.
"""
