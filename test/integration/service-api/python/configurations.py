"""Creates, reads, lists, updates, tests and deletes a configuration with the unmodified azure-iot-hub
IoTHubConfigurationManager and prints what it got.

Input (environment): EDGEMU_CS, the service connection string (HostName=localhost:<port>);
REQUESTS_CA_BUNDLE, the hub's CA. argv[1]: a deployment manifest file ({"modulesContent": ...}).
Output: one JSON line with what each call answered.
"""
import json
import os
import sys

from azure.iot.hub import IoTHubConfigurationManager
from azure.iot.hub.models import Configuration, ConfigurationContent, ConfigurationQueriesTestInput
from msrest.exceptions import HttpOperationError


def main() -> None:
    manager = IoTHubConfigurationManager.from_connection_string(os.environ["EDGEMU_CS"])
    with open(sys.argv[1], encoding="utf-8") as f:
        modules_content = json.load(f)["modulesContent"]
    out = {}
    config = Configuration(
        id="py-prod",
        schema_version="1.0",
        content=ConfigurationContent(modules_content=modules_content),
        target_condition="tags.env='prod'",
        priority=10,
        labels={"by": "python"},
    )
    created = manager.create_configuration(config)
    out["created"] = {"id": created.id, "priority": created.priority, "etag": created.etag, "targeted": created.system_metrics.results.get("targetedCount")}
    got = manager.get_configuration("py-prod")
    out["got"] = {"id": got.id, "labels": got.labels, "modules": sorted(got.content.modules_content["$edgeAgent"]["properties.desired"]["modules"].keys())}
    out["listed"] = [c.id for c in manager.get_configurations(max_count=10)]
    got.priority = 20
    updated = manager.update_configuration(got, got.etag)
    out["updated"] = {"priority": updated.priority, "etag_changed": updated.etag != got.etag}
    try:
        got.priority = 30
        manager.update_configuration(got, got.etag)
        out["stale"] = "accepted"
    except HttpOperationError as error:
        out["stale"] = error.response.status_code
    tested = manager.test_configuration_queries(ConfigurationQueriesTestInput(target_condition="tags.env = 'prod' AND", custom_metric_queries={"ok": "SELECT deviceId FROM devices"}))
    out["tested"] = {"target_condition_error": tested.target_condition_error, "custom": tested.custom_metric_query_errors}
    manager.delete_configuration("py-prod")
    out["after_delete"] = [c.id for c in manager.get_configurations()]
    print(json.dumps(out))


main()
