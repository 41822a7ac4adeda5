"""Cart: what a customer means to buy, validated against the catalog."""
