"""The HTTP layer over `service.answers`: the FastAPI app and its routes, reliability middleware,
workers and hot reload, uploads, the citation viewer, the OpenAI-compatible API, the MCP server and
the chat widget's static files."""
