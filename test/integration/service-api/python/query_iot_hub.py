"""Runs twin queries with the unmodified azure-iot-hub IoTHubRegistryManager and prints what it got.

Input (environment): EDGEMU_CS, the service connection string (HostName=localhost:<port>);
REQUESTS_CA_BUNDLE, the hub's CA. argv[1]: the query; argv[2]: the page size.
Output: one JSON line {"pages": [{"type": ..., "items": [...], "continuation": bool}]}.
"""
import json
import os
import sys

from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import QuerySpecification
from msrest.exceptions import HttpOperationError


def main() -> None:
    manager = IoTHubRegistryManager.from_connection_string(os.environ["EDGEMU_CS"])
    spec = QuerySpecification(query=sys.argv[1])
    size = int(sys.argv[2])
    pages = []
    token = None
    try:
        while True:
            result = manager.query_iot_hub(spec, token, size)
            items = [item.as_dict() if hasattr(item, "as_dict") else item for item in result.items]
            pages.append({"type": result.type, "items": items, "continuation": bool(result.continuation_token)})
            token = result.continuation_token
            if not token or len(pages) > 50:
                break
    except HttpOperationError as error:
        print(json.dumps({"error": {"status": error.response.status_code, "text": error.response.text}}))
        return
    print(json.dumps({"pages": pages}))


main()
