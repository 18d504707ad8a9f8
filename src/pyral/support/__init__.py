"""Cross-cutting pieces every layer of the client wing may use: the configuration chain
(:mod:`.settings`), the interaction log with secret redaction (:mod:`.log`) and which certificate
authorities TLS trusts (:mod:`.certificates`)."""
