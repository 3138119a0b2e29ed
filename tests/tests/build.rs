//! `stepcraft build` on the examples, end to end: the bundle is complete and deterministic,
//! every state machine passes the four validators, every template passes `cfn-lint` with no
//! error and no warning, each state machine's role grants exactly what its definition
//! references, and each `bootstrap.zip` is what Lambda accepts — unpacked, its `bootstrap`
//! serves an invocation from a Lambda Runtime API.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use stepcraft_cli::build::hosted::Hosted;
use stepcraft_cli::build::template::{self, Architecture, FunctionPlan, MachinePlan, Plan};
use stepcraft_cli::build::{self as build, Options};
use stepcraft_tests::asl;
use stepcraft_tests::function::Function;
use stepcraft_tests::runtime_api::RuntimeApi;

const EXAMPLES: &[&str] = &["checkout", "handlers", "hello", "orders-activities"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests crate is in the workspace").to_path_buf()
}

fn bundles_dir() -> PathBuf {
    workspace().join("target/stepcraft-tests/bundles")
}

/// Builds `package` into `bundles/<dir>`; cargo serialises concurrent builds itself, the
/// mutex keeps one bundle folder from being written twice at once.
fn build_into(package: &str, dir: &str) -> build::Bundle {
    static BUILDING: Mutex<()> = Mutex::new(());
    let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let options = Options {
        package: Some(package.to_owned()),
        manifest_path: Some(workspace().join("Cargo.toml")),
        out: Some(bundles_dir().join(dir)),
        locked: true,
        ..Options::default()
    };
    let start = std::time::Instant::now();
    let bundle = build::build(&options).unwrap_or_else(|e| panic!("stepcraft build -p {package}: {e}"));
    eprintln!("stepcraft build -p {package}: {:.1}s", start.elapsed().as_secs_f64());
    bundle
}

/// Each example's bundle, built once per test process (the lock is held while building, so
/// no test reads a bundle another is replacing).
fn bundle(package: &str) -> &'static build::Bundle {
    static BUNDLES: Mutex<BTreeMap<String, &'static build::Bundle>> = Mutex::new(BTreeMap::new());
    let mut bundles = BUNDLES.lock().unwrap_or_else(|e| e.into_inner());
    bundles.entry(package.to_owned()).or_insert_with(|| Box::leak(Box::new(build_into(package, package))))
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/* ------------------------------------------ CONTENTS ------------------------------------------ */

#[test]
fn the_checkout_bundle_is_complete_and_deterministic() {
    let first = bundle("checkout");
    let again = build_into("checkout", "checkout-again");
    let (a, b) = (files_under(&first.dir), files_under(&again.dir));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "the same files");
    for (name, contents) in &a {
        assert!(contents == &b[name], "`{name}` differs between two builds of the same source");
    }
    for expected in [
        "template.yaml",
        "manifest.json",
        "checkout/bootstrap.zip",
        "statemachines/Checkout.asl.json",
        "schemas/Checkout.input.schema.json",
        "schemas/Checkout.output.schema.json",
        "schemas/charge_payment.input.schema.json",
        "schemas/charge_payment.output.schema.json",
    ] {
        assert!(a.contains_key(expected), "the bundle has `{expected}`; it has {:?}", a.keys());
    }
    // The manifest lists every file of the bundle.
    let manifest = &first.manifest;
    let mut listed = BTreeSet::from(["template.yaml".to_owned(), "manifest.json".to_owned()]);
    for binary in manifest["binaries"].as_array().unwrap() {
        listed.insert(binary["zip"].as_str().unwrap().to_owned());
    }
    for machine in manifest["state_machines"].as_array().unwrap() {
        listed.insert(machine["definition"].as_str().unwrap().to_owned());
        for diagram in machine["diagrams"].as_array().into_iter().flatten() {
            listed.insert(diagram.as_str().unwrap().to_owned());
        }
    }
    for schema in manifest["schemas"].as_array().unwrap() {
        listed.insert(schema.as_str().unwrap().to_owned());
    }
    assert_eq!(listed, a.keys().cloned().collect::<BTreeSet<_>>(), "manifest.json lists exactly the bundle's files");
    // And what was built.
    let functions: Vec<&str> =
        manifest["functions"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(
        functions,
        ["reserve_inventory", "charge_payment", "release_inventory", "pack_item", "ship_order", "send_receipt"]
    );
    assert_eq!(manifest["state_machines"][0]["name"], "Checkout");
    assert_eq!(manifest["state_machines"][0]["type"], "STANDARD");
    assert_eq!(manifest["architecture"], "x86_64");
}

#[test]
fn every_bundled_state_machine_passes_the_validators() {
    let mut files = Vec::new();
    let dir = bundles_dir().join("substituted");
    std::fs::create_dir_all(&dir).unwrap();
    for package in EXAMPLES {
        let bundle = bundle(package);
        let template = template_json(&bundle.dir.join("template.yaml"));
        for (id, machine) in resources_of_type(&template, "AWS::Serverless::StateMachine") {
            let uri = machine["Properties"]["DefinitionUri"].as_str().unwrap();
            let text = std::fs::read_to_string(bundle.dir.join(uri)).unwrap();
            let substituted = substitute(&text, &machine["Properties"]["DefinitionSubstitutions"]);
            assert!(!substituted.contains("${"), "`{id}`: every placeholder has a substitution:\n{substituted}");
            let file = dir.join(format!("{package}-{id}.asl.json"));
            std::fs::write(&file, substituted).unwrap();
            files.push(file);
        }
    }
    assert!(!files.is_empty());
    let failures: Vec<String> = asl::validate(&files).iter().filter(|v| !v.ok).map(|v| v.to_string()).collect();
    assert!(failures.is_empty(), "validators rejected bundled state machines:\n{}", failures.join("\n"));
}

/// The template's `DefinitionSubstitutions` applied with the ARNs CloudFormation would put in.
fn substitute(text: &str, substitutions: &Value) -> String {
    let mut text = text.to_owned();
    for (name, value) in substitutions.as_object().into_iter().flatten() {
        let arn = if let Some(get_att) = value.get("Fn::GetAtt") {
            format!("arn:aws:lambda:{}:{}:function:{}", asl::REGION, asl::ACCOUNT, get_att[0].as_str().unwrap())
        } else if let Some(reference) = value.get("Ref") {
            format!("arn:aws:states:{}:{}:stateMachine:{}", asl::REGION, asl::ACCOUNT, reference.as_str().unwrap())
        } else {
            panic!("unexpected substitution `{name}`: {value}");
        };
        text = text.replace(&format!("${{{name}}}"), &arn);
    }
    text
}

/* ------------------------------------------- LINTING ------------------------------------------ */

fn deploy_tools() -> PathBuf {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy-tools");
            let output = Command::new("bash")
                .arg(dir.join("install.sh"))
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .expect("bash runs");
            assert!(
                output.status.success(),
                "deploy-tools/install.sh failed (it needs python3 and the PyPI registry):\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            dir
        })
        .clone()
}

/// The template as JSON, read by cfn-lint's own YAML reader.
fn template_json(path: &Path) -> Value {
    let tools = deploy_tools();
    let output = Command::new(tools.join(".venv/bin/python"))
        .arg(tools.join("template_json.py"))
        .arg(path)
        .output()
        .expect("python runs");
    assert!(output.status.success(), "cannot read {}: {}", path.display(), String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("template_json.py prints JSON")
}

fn cfn_lint(template: &Path) {
    let tools = deploy_tools();
    let output = Command::new(tools.join(".venv/bin/cfn-lint"))
        .arg("--format")
        .arg("parseable")
        .arg("--")
        .arg(template)
        .current_dir(template.parent().unwrap())
        .output()
        .expect("cfn-lint runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success() && report.trim().is_empty(),
        "cfn-lint found problems in {} (exit {:?}):\n{report}",
        template.display(),
        output.status.code()
    );
}

/// `sam validate --lint`: SAM's own reading of the template (then cfn-lint on the result). It
/// needs a region and credentials to start, never to validate: dummy ones keep it offline.
/// It runs from the bundle's parent folder: in the bundle itself, SAM mistakes
/// `manifest.json` for a CDK app's.
fn sam_validate(template: &Path) {
    let tools = deploy_tools();
    let output = Command::new(tools.join(".venv/bin/sam"))
        .args(["validate", "--lint", "--template-file"])
        .arg(template)
        .current_dir(template.parent().unwrap().parent().unwrap())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "offline")
        .env("AWS_SECRET_ACCESS_KEY", "offline")
        .env("SAM_CLI_TELEMETRY", "0")
        .stdin(Stdio::null())
        .output()
        .expect("sam runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success() && report.trim() == format!("{} is a valid SAM Template", template.display()),
        "sam validate --lint on {} (exit {:?}):\n{report}",
        template.display(),
        output.status.code()
    );
}

#[test]
fn every_example_template_passes_cfn_lint_and_sam_validate() {
    for package in EXAMPLES {
        let template = bundle(package).dir.join("template.yaml");
        cfn_lint(&template);
        sam_validate(&template);
    }
}

/// Every trigger and option the template knows, linted: the examples do not use them all.
#[test]
fn a_template_with_every_trigger_passes_cfn_lint() {
    let hosted: Hosted = serde_json::from_value(json!({
        "functions": [
            {"name": "charge", "placeholder": "Charge", "kind": "activity", "memory": 256, "timeout": 10, "trigger": null},
            {"name": "orders", "placeholder": "Orders", "kind": "sqs", "memory": null, "timeout": 20,
             "trigger": {"sqs": {"batch_size": 10, "window": null, "fifo": true, "max_receive": 3}}},
            {"name": "events", "placeholder": "Events", "kind": "sqs", "memory": 1024, "timeout": 60,
             "trigger": {"sqs": {"batch_size": 500, "window": 5, "fifo": false, "max_receive": 5}}},
            {"name": "api", "placeholder": "Api", "kind": "http", "memory": null, "timeout": null,
             "trigger": {"http": {"api": "http", "cors": {"origins": ["https://app.example.com"], "methods": ["GET", "POST"],
                 "headers": ["content-type"], "expose": ["x-request-id"], "max_age": 600, "credentials": true}}}},
            {"name": "url", "placeholder": "Url", "kind": "http", "memory": null, "timeout": null,
             "trigger": {"http": {"api": "url", "cors": {"origins": ["*"], "methods": ["GET"], "headers": [], "expose": [],
                 "max_age": null, "credentials": false}}}},
            {"name": "plain", "placeholder": "Plain", "kind": "http", "memory": null, "timeout": null,
             "trigger": {"http": {"api": "http", "cors": null}}},
            {"name": "uploads", "placeholder": "Uploads", "kind": "json", "memory": null, "timeout": null,
             "trigger": {"s3": {"events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"], "prefix": "incoming/", "suffix": ".csv"}}},
            {"name": "shipments", "placeholder": "Shipments", "kind": "json", "memory": null, "timeout": null,
             "trigger": {"eventbridge": {"pattern": {"source": ["shop.orders"], "detail-type": ["OrderShipped"]}}}}
        ],
        "workflows": [
            {"name": "Pay", "placeholder": "PayStateMachine", "type": "STANDARD"},
            {"name": "Parent", "placeholder": "ParentStateMachine", "type": "EXPRESS"}
        ]
    }))
    .unwrap();
    let definitions = [
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Arguments": {"FunctionName": "${Charge}", "Payload": {"token": "{% $states.context.Task.Token %}"}}, "End": true}}}),
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Arguments": {"StateMachineArn": "${PayStateMachine}", "Input": {}}, "End": true}}}),
    ];
    let dir = bundles_dir().join("every-trigger");
    std::fs::create_dir_all(dir.join("statemachines")).unwrap();
    std::fs::create_dir_all(dir.join("shop")).unwrap();
    std::fs::write(dir.join("shop/bootstrap.zip"), b"").unwrap();
    let plan = Plan {
        package: "shop".into(),
        architecture: Architecture::Arm64,
        functions: hosted
            .functions
            .into_iter()
            .map(|function| FunctionPlan { function, binary: "shop".into(), code_uri: "shop/bootstrap.zip".into() })
            .collect(),
        machines: hosted
            .workflows
            .into_iter()
            .zip(definitions)
            .map(|(workflow, definition)| {
                let uri = format!("statemachines/{}.asl.json", workflow.name);
                std::fs::write(dir.join(&uri), definition.to_string()).unwrap();
                MachinePlan { definition_uri: uri, workflow, definition }
            })
            .collect(),
    };
    let (yaml, _) = template::template(&plan).unwrap();
    std::fs::write(dir.join("template.yaml"), yaml.to_document()).unwrap();
    cfn_lint(&dir.join("template.yaml"));
    sam_validate(&dir.join("template.yaml"));
    check_policies(&dir, &template_json(&dir.join("template.yaml")));
}

/* ------------------------------------------- POLICIES ----------------------------------------- */

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == kind).collect()
}

/// The logical id `!GetAtt X.Arn` / `!Ref X` names.
fn target_of(value: &Value) -> Option<String> {
    if let Some(get_att) = value.get("Fn::GetAtt") {
        return get_att[0].as_str().map(str::to_owned);
    }
    value.get("Ref").and_then(Value::as_str).map(str::to_owned)
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Each role's statements, with their actions and resources as lists.
fn statements(template: &Value, role: &str) -> Vec<(Vec<String>, Vec<Value>)> {
    let role = &template["Resources"][role];
    assert_eq!(role["Type"], "AWS::IAM::Role", "an explicit role: {role}");
    let mut out = Vec::new();
    for policy in role["Properties"]["Policies"].as_array().unwrap() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            let actions = as_list(&statement["Action"]).iter().map(|a| a.as_str().unwrap().to_owned()).collect();
            out.push((actions, as_list(&statement["Resource"])));
        }
    }
    out
}

/// Where AWS documents that the actions take no resource.
fn star_is_documented(actions: &[String]) -> bool {
    const NO_RESOURCE: &[&str] = &[
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ];
    actions.iter().all(|a| NO_RESOURCE.contains(&a.as_str()))
}

/// Each state machine's role invokes exactly the functions its definition references and
/// starts exactly the state machines it references; no role has an unexpected `"*"`.
fn check_policies(dir: &Path, template: &Value) {
    let machines = resources_of_type(template, "AWS::Serverless::StateMachine");
    for (id, machine) in &machines {
        let properties = &machine["Properties"];
        let text = std::fs::read_to_string(dir.join(properties["DefinitionUri"].as_str().unwrap())).unwrap();
        let substitutions = properties["DefinitionSubstitutions"].as_object().cloned().unwrap_or_default();
        // What the definition references: its `${..}` placeholders, each resolved.
        let mut invoked = BTreeSet::new();
        let mut started = BTreeSet::new();
        for (name, value) in &substitutions {
            assert!(
                text.contains(&format!("${{{name}}}")),
                "`{id}` substitutes `{name}`, which its definition never uses"
            );
            let target = target_of(value).unwrap();
            match template["Resources"][&target]["Type"].as_str() {
                Some("AWS::Serverless::Function") => invoked.insert(target),
                Some("AWS::Serverless::StateMachine") => started.insert(target),
                other => panic!("`{id}` substitutes `{name}` with {other:?}"),
            };
        }
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            let end = rest[start..].find('}').unwrap() + start;
            assert!(
                substitutions.contains_key(&rest[start + 2..end]),
                "`{id}`: `{}` is substituted",
                &rest[start..=end]
            );
            rest = &rest[end..];
        }
        let role = target_of(&properties["Role"]).expect("a role of the template's own");
        let (mut may_invoke, mut may_start) = (BTreeSet::new(), BTreeSet::new());
        for (actions, resources) in statements(template, &role) {
            for resource in &resources {
                if resource == "*" {
                    assert!(star_is_documented(&actions), "`{role}` grants {actions:?} on \"*\"");
                    continue;
                }
                for action in &actions {
                    match action.as_str() {
                        "lambda:InvokeFunction" => {
                            may_invoke.insert(target_of(resource).expect("a function of the template"));
                        }
                        "states:StartExecution" => {
                            may_start.insert(target_of(resource).expect("a state machine of the template"));
                        }
                        "states:DescribeExecution"
                        | "states:StopExecution"
                        | "events:PutTargets"
                        | "events:PutRule"
                        | "events:DescribeRule" => {
                            assert!(!started.is_empty(), "`{role}` manages child executions but starts none");
                            assert!(resource.get("Fn::Sub").is_some(), "scoped to executions / the managed rule");
                        }
                        other => panic!("`{role}` of `{id}` grants an unexpected `{other}`"),
                    }
                }
            }
        }
        assert_eq!(may_invoke, invoked, "`{role}` may invoke exactly the functions `{id}` calls");
        assert_eq!(may_start, started, "`{role}` may start exactly the state machines `{id}` starts");
    }
    for (id, function) in resources_of_type(template, "AWS::Serverless::Function") {
        let role = target_of(&function["Properties"]["Role"]).expect("a role of the template's own");
        for (actions, resources) in statements(template, &role) {
            for resource in &resources {
                if resource == "*" {
                    assert!(star_is_documented(&actions), "`{role}` of `{id}` grants {actions:?} on \"*\"");
                }
            }
        }
    }
}

#[test]
fn each_role_grants_exactly_what_its_state_machine_references() {
    for package in EXAMPLES {
        let bundle = bundle(package);
        check_policies(&bundle.dir, &template_json(&bundle.dir.join("template.yaml")));
    }
    // The checkout saga calls six functions, all of them.
    let template = template_json(&bundle("checkout").dir.join("template.yaml"));
    let role = &statements(&template, "CheckoutStateMachineRole")[0];
    assert_eq!(role.0, ["lambda:InvokeFunction"]);
    assert_eq!(role.1.len(), 6);
}

/* --------------------------------------------- ZIPS ------------------------------------------- */

/// Unpacks a `bootstrap.zip` as Lambda does and checks what Lambda requires of it.
fn unpack(zip_path: &Path, into: &Path) -> PathBuf {
    let file = std::fs::File::open(zip_path).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    assert_eq!(archive.len(), 1, "{}: one entry", zip_path.display());
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap", "the entry is `bootstrap`, at the root");
    assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755), "mode 0755");
    std::fs::create_dir_all(into).unwrap();
    let path = into.join("bootstrap");
    let mut out = std::fs::File::create(&path).unwrap();
    std::io::copy(&mut entry, &mut out).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(entry.unix_mode().unwrap() & 0o777)).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unpacked_bootstrap_serves_a_lambda_invocation() {
    let cases = [
        (
            "checkout",
            "checkout",
            "reserve_inventory",
            serde_json::from_str(include_str!("../../examples/checkout/order.json")).unwrap(),
        ),
        ("hello", "hello", "hello", json!({"user_id": "u-1"})),
    ];
    for (package, binary, handler, input) in cases {
        let bundle = tokio::task::spawn_blocking(move || bundle(package)).await.unwrap();
        let root = bundles_dir().join(format!("unpacked-{binary}"));
        let bootstrap = unpack(&bundle.dir.join(format!("{binary}/bootstrap.zip")), &root);
        let api = RuntimeApi::start().await;
        let _function = Function::spawn_with(&bootstrap, &api, &[("_HANDLER", handler)]);
        let outcome = api.invoke_json(&input).await;
        assert!(outcome.is_response(), "{binary}/{handler} answered {:?}", outcome.json());
    }
}
