"""The source records the build writes for the public data it loads: importers name their records with these,
and composers cite them, without the composers importing an importer (start-up stays light)."""

PFS = "cms-pfs"  # the fee-schedule release the build loaded (bundled or an operator's import)
HCPCS = "cms-hcpcs"
ICD10PCS = "cms-icd10pcs"
