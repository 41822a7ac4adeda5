"""The shared kernel: errors, money, events, aggregates and the ports every context uses."""
