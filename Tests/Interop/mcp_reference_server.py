"""A reference MCP server written with the official Python SDK, for our client's interoperability tests.

Usage: mcp_reference_server.py PORT json|sse

Serves Streamable HTTP at http://127.0.0.1:PORT/mcp, answering requests with one JSON body (`json`) or with an
event stream (`sse`).
"""

import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

server = MCPServer("reference", log_level="WARNING")


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


@server.tool()
def note(text: str) -> str:
    """Write a note down (it changes something, so it is not read-only)."""
    return f"noted: {text}"


@server.tool()
def refuse(reason: str) -> str:
    """Always fails, with the reason given (a tool error, which the SDK passes on with its message)."""
    raise ToolError(reason)


def extra() -> str:
    """A tool that appears once register_extra_tool has been called."""
    return "extra"


@server.tool()
async def register_extra_tool(ctx: Context) -> str:
    """Adds the tool `extra` and tells the client that the tool list changed."""
    server.add_tool(extra)
    await ctx.session.send_tool_list_changed()
    return "registered"


if __name__ == "__main__":
    port = int(sys.argv[1])
    mode = sys.argv[2]
    server.run(
        transport="streamable-http",
        host="127.0.0.1",
        port=port,
        json_response=(mode == "json"),
    )
