"""Interoperability check: the official Python MCP SDK, as a client, lists and calls our booking tools over
Streamable HTTP. Usage: mcp_client_check.py URL TOKEN. Prints one JSON object; exits non-zero on failure."""
import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


async def main(url: str, token: str) -> None:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http:
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                info = await session.initialize()
                tools = await session.list_tools()
                availability = await session.call_tool("check_availability", {"date": "next Friday", "home_size": "2_bedroom"})
                booking = await session.call_tool(
                    "create_booking",
                    {
                        "customer_name": "Grace Hopper",
                        "phone": "+14155550123",
                        "pickup_address": "1 Navy Yard, Brooklyn",
                        "dropoff_address": "2 Harbor Rd, Queens",
                        "date": "next Friday",
                        "window": "afternoon",
                        "home_size": "2_bedroom",
                        "idempotency_key": "python-interop-1",
                    },
                )
                refused = await session.call_tool("check_availability", {"date": "Sunday"})
                print(json.dumps({
                    "server": info.server_info.name,
                    "tools": sorted(tool.name for tool in tools.tools),
                    "availability": availability.structured_content,
                    "availability_is_error": bool(availability.is_error),
                    "booking": booking.structured_content,
                    "refused_is_error": bool(refused.is_error),
                    "refused_text": refused.content[0].text if refused.content else "",
                }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
