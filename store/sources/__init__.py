"""Live sources: where an integration's current state comes from.

A live source is given a :class:`~cwdash.store.sources.base.LiveTarget` (what the
listing already knows of an instance) and returns an outcome
(:mod:`cwdash.store.sources.outcome`): a state, or a failure with its reason. The
integration gateway ("the bridge", :mod:`~cwdash.store.sources.bridge`) is one
implementation; :mod:`~cwdash.store.sources.factory` is the one place configuration
picks the source.

Nothing here imports the store, the read model, the fleet or the screens (an
import-linter contract checks it); this package's ``__init__`` imports nothing, so
importing one module never loads the others.
"""
