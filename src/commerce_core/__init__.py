"""commerce-core: the pure domain of an e-commerce backend.

Only the standard library and attrs are imported here; every piece of infrastructure lives behind
a port (a ``typing.Protocol``) that an adapter implements.
"""
