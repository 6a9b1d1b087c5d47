"""History of the fleet: every transition cwdash observes, kept in the store (schema v5).

- :mod:`.model`: :class:`Observation`, :class:`Event`, the pure :class:`Detector`;
- :mod:`.writer`: :class:`HistoryWriter`, batched writes on a thread of its own, retention;
- :mod:`.reader`: :class:`HistoryReader`, the queries of the dashboard and the CLI;
- :mod:`.alerts`: :class:`AlertEngine`, debounced alerts from events;
- :mod:`.hook`: :class:`HookRunner`, ``--on-change CMD``;
- :mod:`.tables`: the tables, and whether this cwdash may write them.

Import the module you need (``from cwdash.store.history.writer import HistoryWriter``):
this package's ``__init__`` imports nothing, so loading one part costs only that part.
"""
