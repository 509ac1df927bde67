# The bundled hdifo example's outcomes (tests/golden/association_hdifo.csv, as oncoseries derives them) merged
# with its markers, recoded here independently of oncoseries: PARP1 IHC as given, and one "<gene>_mutated"
# column (yes / no / NA for a patient not sequenced) per gene mutated in at least 3 patients.
# ``base``: the table the markers are merged onto (default the outcomes; tables.R passes patients.csv).
# Sourced by association.R, markers.R and tables.R (run from the repository root).
hdifo_markers <- function(base = read.csv("tests/golden/association_hdifo.csv", stringsAsFactors = FALSE)) {
  ex <- "src/oncoseries/examples/data/hdifo"
  o <- base
  b <- read.csv(file.path(ex, "biomarkers.csv"), stringsAsFactors = FALSE, na.strings = "")
  mu <- read.csv(file.path(ex, "mutations.csv"), stringsAsFactors = FALSE)
  d <- merge(o, b, by = "patient_id", all.x = TRUE)
  sequenced <- (!is.na(d$ngs_tested) & d$ngs_tested == "yes") | d$patient_id %in% mu$patient_id
  carriers <- tapply(mu$patient_id, mu$gene, function(p) length(unique(p)))
  genes <- sort(names(carriers)[carriers >= 3])
  for (g in genes) {
    d[[paste0(g, "_mutated")]] <- ifelse(d$patient_id %in% mu$patient_id[mu$gene == g], "yes",
                                         ifelse(sequenced, "no", NA))
  }
  list(d = d, genes = genes, markers = c("parp1_ihc", "parp1_category", paste0(genes, "_mutated")))
}
