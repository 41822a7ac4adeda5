"""Adapters: implementations of commerce_core's ports, one package per technology."""
