"""Static assets of the server-rendered pages (served same-origin by kuaichu.handlers.pages)."""
