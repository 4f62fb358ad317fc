"""The built database's schema version, apart from the builder so the read-only store need not import it.

Importing `bot.kb.build` pulls in content loading, checks and every importer; `coding-bot ask` only needs
to know whether a database was built by this version.
"""

SCHEMA_VERSION = "8"  # 8: code groups and the findings' sedation_codes; 7: icd10cm indexed by parent
