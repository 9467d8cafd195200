"""Realistic stack traces of four runtimes, with a knob for what varies between two occurrences."""

from __future__ import annotations


def python_trace(line: int = 42, order: str = "8f1c", exc: str = "KeyError") -> str:
    return (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3.11/site-packages/flask/app.py", line 1463, in wsgi_app\n'
        "    response = self.full_dispatch_request()\n"
        f'  File "/srv/app/orders/views.py", line {line}, in checkout\n'
        "    total = price_of(cart)\n"
        f'  File "/srv/app/orders/pricing.py", line {line + 7}, in price_of\n'
        "    return PRICES[item.sku]\n"
        f"{exc}: 'sku-{order}'"
    )


def java_trace(line: int = 88, lambda_no: int = 3) -> str:
    return (
        "java.lang.IllegalStateException: order 12345 already paid\n"
        f"\tat com.acme.billing.InvoiceService.pay(InvoiceService.java:{line})\n"
        f"\tat com.acme.billing.InvoiceService.lambda$settle${lambda_no}(InvoiceService.java:{line + 20})\n"
        "\tat java.base/java.util.ArrayList.forEach(ArrayList.java:1541)\n"
        f"\tat com.acme.billing.Settlement.run(Settlement.java:{line - 30})\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
        "Caused by: java.sql.SQLException: lock timeout\n"
        "\tat org.postgresql.jdbc.PgStatement.execute(PgStatement.java:200)\n"
        "\t... 4 more"
    )


def go_trace(index: int = 5, offset: str = "0x1d") -> str:
    return (
        f"panic: runtime error: index out of range [{index}] with length 3\n"
        "\n"
        "goroutine 1 [running]:\n"
        "main.lookup(...)\n"
        f"\t/home/dev/app/main.go:{10 + index} +{offset}\n"
        "main.handler(0xc000012345, 0x3)\n"
        "\t/home/dev/app/main.go:22 +0x45\n"
        "net/http.HandlerFunc.ServeHTTP(0xc0000a4000, {0x7f1c, 0xc0000b2000}, 0xc0000c4000)\n"
        "\t/usr/local/go/src/net/http/server.go:2122 +0x2f\n"
        "runtime.main()\n"
        "\t/usr/local/go/src/runtime/proc.go:250 +0x212\n"
        "exit status 2"
    )


def js_trace(line: int = 17, prop: str = "id") -> str:
    return (
        f"TypeError: Cannot read properties of undefined (reading '{prop}')\n"
        f"    at getUser (/srv/api/src/users.js:{line}:21)\n"
        f"    at async Router.handle (/srv/api/src/router.js:{line + 40}:5)\n"
        "    at Layer.handle [as handle_request] (/srv/api/node_modules/express/lib/router/layer.js:95:5)\n"
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"
    )
