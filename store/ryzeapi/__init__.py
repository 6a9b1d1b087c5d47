"""RyzeAPI's own HTTP API: the client (:mod:`.client`), the pacer that keeps it inside the
token's rate limit (:mod:`.pacer`), the instance listing (:mod:`.listing`), the Status/info
record as sync reads it (:mod:`.records`) and the sync itself (:mod:`.sync`).

Nothing is imported here: the live source (:mod:`cwdash.store.sources.ryzeapi`) loads
the client and the pacer only, never the store-writing modules.
"""
