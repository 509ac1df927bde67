# Minimal JSON writer (jsonlite is not available). Numbers at full precision ("%.17g");
# NA/NaN -> null; +-Inf -> Infinity/-Infinity (accepted by Python's json module).
# Length-1 atomic vectors are written as scalars unless wrapped in I() (kept as arrays).
json_atom <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  if (is.logical(x)) return(ifelse(is.na(x), "null", ifelse(x, "true", "false")))
  if (is.character(x)) return(ifelse(is.na(x), "null", paste0('"', gsub('"', '\\\\"', x), '"')))
  x <- as.double(x)
  ifelse(is.na(x), "null",
         ifelse(is.infinite(x), ifelse(x > 0, "Infinity", "-Infinity"), sprintf("%.17g", x)))
}
to_json <- function(x, indent = "") {
  if (is.null(x)) return("null")
  if (is.data.frame(x)) x <- lapply(as.list(x), I)
  if (is.list(x)) {
    nm <- names(x)
    inner <- paste0(indent, "  ")
    parts <- vapply(seq_along(x), function(i) to_json(x[[i]], inner), "")
    if (is.null(nm)) return(paste0("[", paste(parts, collapse = ", "), "]"))
    return(paste0("{\n", paste0(inner, '"', nm, '": ', parts, collapse = ",\n"), "\n", indent, "}"))
  }
  a <- json_atom(unclass(x))
  if (length(a) == 1 && !inherits(x, "AsIs")) return(a)
  paste0("[", paste(a, collapse = ", "), "]")
}
write_json <- function(x, path) writeLines(to_json(x), path)
# CSV with numbers at full precision
write_csv17 <- function(df, path) {
  out <- df
  for (nm in names(out)) if (is.numeric(out[[nm]])) out[[nm]] <- ifelse(is.na(out[[nm]]), "NA", sprintf("%.17g", out[[nm]]))
  write.csv(out, path, row.names = FALSE, quote = FALSE)
}
