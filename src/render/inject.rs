//! What snapset writes into every object whatever the template says: the
//! `app.kubernetes.io/managed-by: snapset` label, and on objects of track
//! scope (and their pod templates) the commit annotation, so that `status`
//! and `report` find the commit of a StatefulSet, a CronJob or a custom
//! workload as they do for a Deployment.
//!
//! Not the snapshot's name: which snapshot an environment runs is said once,
//! in `snapshot.json`. On every object it made each promote rewrite every
//! object of the environment, commit moved or not, and the reviewer of a
//! promote read a hundred lines to find the three that matter (issue 28).

use serde_json::{Map, Value};

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const COMMIT: &str = "snapset.dev/commit";

/// The commit of the track an object was rendered for.
pub struct TrackStamp<'a> {
    pub commit: &'a str,
}

/// Stamps `doc` (an object; anything else is left for the schema check).
pub fn stamp(doc: &mut Value, track: Option<&TrackStamp>) {
    let Some(object) = doc.as_object_mut() else {
        return;
    };
    let Some(metadata) = child_map(object, "metadata") else {
        return;
    };
    if let Some(labels) = child_map(metadata, "labels") {
        labels.insert(MANAGED_BY.into(), Value::String("snapset".into()));
    }
    let Some(track) = track else {
        return;
    };
    if let Some(annotations) = child_map(metadata, "annotations") {
        annotations.insert(COMMIT.into(), Value::String(track.commit.into()));
    }
    if let Some(pod) = pod_template(object)
        && let Some(metadata) = child_map(pod, "metadata")
        && let Some(annotations) = child_map(metadata, "annotations")
    {
        annotations.insert(COMMIT.into(), Value::String(track.commit.into()));
    }
}

/// `spec.template` of a workload (Deployment, StatefulSet, DaemonSet, Job,
/// an Argo Rollout …) or `spec.jobTemplate.spec.template` of a CronJob:
/// whatever holds a pod `spec`.
fn pod_template(object: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    let spec = object.get_mut("spec")?.as_object_mut()?;
    if is_pod_template(spec.get("template")) {
        return spec.get_mut("template")?.as_object_mut();
    }
    let job = spec
        .get_mut("jobTemplate")?
        .as_object_mut()?
        .get_mut("spec")?
        .as_object_mut()?;
    if is_pod_template(job.get("template")) {
        return job.get_mut("template")?.as_object_mut();
    }
    None
}

fn is_pod_template(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_object)
        .is_some_and(|t| t.get("spec").is_some_and(Value::is_object))
}

/// The map under `key`, made when absent (or null); `None` when the key
/// holds something else, which the schema check then reports.
fn child_map<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    let slot = map.entry(key).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cronjob_gets_the_label_and_the_commit_and_so_do_its_pods() {
        let mut doc = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "mailer", "labels": {"app": "mailer"}},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
                "spec": {"containers": [], "restartPolicy": "Never"}}}}}
        });
        stamp(&mut doc, Some(&TrackStamp { commit: "abc" }));
        assert_eq!(doc["metadata"]["labels"][MANAGED_BY], "snapset");
        assert_eq!(doc["metadata"]["annotations"], json!({COMMIT: "abc"}));
        let pod = &doc["spec"]["jobTemplate"]["spec"]["template"];
        assert_eq!(pod["metadata"]["annotations"], json!({COMMIT: "abc"}));
    }

    #[test]
    fn service_scope_objects_get_the_label_only() {
        let mut doc = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        stamp(&mut doc, None);
        assert_eq!(
            doc["metadata"],
            json!({"name": "x", "labels": {MANAGED_BY: "snapset"}})
        );
    }
}
