"""The office's dashboard in a real browser (issue 17), driven by the Swift test DashboardBrowserTests.

Signs in, asks the test to place a simulated booking call through the real server, finds the call in the list,
opens it and checks the transcript and the tool calls, opens the move it booked, cancels it, and checks that the
day grid frees the slot. Screenshots go to --screenshots. It talks to the test over stdin/stdout: it prints
`place-call` and waits for `placed <call SID> <job id>`. Exit status 0 only if every check held.
"""

import argparse
import sys

from playwright.sync_api import expect, sync_playwright


def say(line):
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    shots = args.screenshots.rstrip("/")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15000)

        # Signed out, the dashboard sends the browser to the sign-in form.
        page.goto(args.url + "/dashboard")
        expect(page).to_have_url(args.url + "/dashboard/login")
        page.fill("#token", "not-the-token")
        page.click("button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("That is not the admin token.")
        page.fill("#token", args.token)
        page.click("button[type=submit]")
        expect(page).to_have_url(args.url + "/dashboard")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")

        say("place-call")
        answer = sys.stdin.readline().split()
        if len(answer) != 3 or answer[0] != "placed":
            raise SystemExit(f"unexpected answer from the test: {answer}")
        call_sid, job_id = answer[1], answer[2]

        # The call is in the list; its page shows the conversation and the tool calls inline.
        page.locator("header nav").get_by_role("link", name="Calls").click()
        expect(page).to_have_url(args.url + "/dashboard/calls")
        page.locator(f'a[href="/dashboard/calls/{call_sid}"]').click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Call from")
        timeline = page.locator("ol.timeline")
        expect(timeline.locator("li.caller").first).to_be_visible()
        expect(timeline.locator("li.assistant").first).to_be_visible()
        expect(timeline.locator("details.tool", has_text="create_booking")).to_have_count(1)
        expect(timeline.locator("details.tool", has_text="check_availability")).not_to_have_count(0)
        timeline.locator("details.tool", has_text="create_booking").locator("summary").click()
        expect(timeline.locator("details.tool[open] pre").first).to_contain_text("{")
        page.screenshot(path=f"{shots}/dashboard-call.png", full_page=True)

        # The move it booked, held on its day's grid.
        page.locator(f'dd a[href="/dashboard/moves/{job_id}"]').click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(job_id)
        page.get_by_role("link", name="the day's moves").click()
        held = page.locator(f'table.grid td.held:has(a[href="/dashboard/moves/{job_id}"])')
        expect(held).not_to_have_count(0)
        day_url = page.url
        page.screenshot(path=f"{shots}/dashboard-day-booked.png", full_page=True)

        # Cancel it as staff; the grid frees the slot.
        page.goto(args.url + f"/dashboard/moves/{job_id}")
        page.get_by_role("button", name="Cancel move").click()
        expect(page.get_by_role("status")).to_contain_text("The move is cancelled.")
        expect(page.locator("h1 .status")).to_have_text("cancelled")
        page.goto(day_url)
        expect(page.locator(f'a[href="/dashboard/moves/{job_id}"]')).to_have_count(0)
        page.screenshot(path=f"{shots}/dashboard-day-freed.png", full_page=True)

        page.locator("header nav").get_by_role("link", name="Today").click()
        page.screenshot(path=f"{shots}/dashboard-today.png", full_page=True)
        browser.close()
    say("ok")


if __name__ == "__main__":
    main()
