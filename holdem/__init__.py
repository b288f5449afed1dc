"""holdem: parallel MCCFR blueprints for poker."""
