"""Dataset tools for sdgas-ultra, one module per dataset or format."""
