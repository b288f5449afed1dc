"""A blueprint at a real table: against programs through the ACPC protocol, or against a person in a terminal.

Owns seating a policy: sampling its moves hand by hand, mapping another program's game onto the policy's,
and talking the ACPC dealer's protocol.
"""
