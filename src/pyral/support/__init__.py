"""Cross-cutting pieces every layer of the client wing may use: the configuration chain
(:mod:`.settings`) and the interaction log with secret redaction (:mod:`.log`)."""
