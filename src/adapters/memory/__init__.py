"""The embedded adapters: everything in process memory, with the semantics of the real stores."""
