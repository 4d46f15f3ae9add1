"""Privacy primitives: keyed hashes for identifiers, encryption at rest, log redaction."""
