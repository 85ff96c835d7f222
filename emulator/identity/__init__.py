"""Identity (``/20160918``): compartments (tenancy-wide), regions and region subscriptions."""
