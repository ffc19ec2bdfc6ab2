"""Built-in AI providers; each imports its SDK only when it is used."""
