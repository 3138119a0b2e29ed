//! The AWS SAM template of a bundle, generated from what the binaries host (their `manifest`)
//! and the state machines they synthesize — never from a hand-kept list.
//!
//! Every function and state machine gets its own role with least privilege:
//! - a function may write to its own log group (and X-Ray), and an SQS consumer may receive
//!   from and delete on its own queue;
//! - a state machine may invoke exactly the functions its definition references, start
//!   (and, for `.sync`, describe and stop) exactly the child state machines it references,
//!   and deliver its logs and traces.
//!
//! `"*"` appears only where AWS documents that the actions take no resource: X-Ray's
//! `PutTraceSegments`/`PutTelemetryRecords`/sampling calls and CloudWatch Logs' log-delivery
//! calls; each is commented in the template.

use super::hosted::{Cors, Function, HttpApi, Kind, Trigger, Workflow};
use super::yaml::{Map, Yaml};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Lambda's default memory (MB) when an attribute sets none.
pub const DEFAULT_MEMORY: u32 = 128;
/// The function timeout (seconds) when an attribute sets none: Lambda's own default (3 s) is
/// too short for most activities, and a task without `TimeoutSeconds` waits for the function.
pub const DEFAULT_TIMEOUT: u32 = 30;
/// Days logs are kept.
pub const LOG_RETENTION_DAYS: u32 = 30;
/// SQS queues keep messages 4 days by default; a dead-letter queue keeps them the maximum,
/// 14 days, so that nothing expires before someone looks.
const DLQ_RETENTION_SECONDS: u32 = 1_209_600;

/// The instruction set the functions are built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl Architecture {
    /// The value of a function's `Architectures`.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// A function of the bundle: what its binary hosts, and where its code is.
#[derive(Debug, Clone)]
pub struct FunctionPlan {
    pub function: Function,
    /// The binary serving it.
    pub binary: String,
    /// The zip, relative to the template.
    pub code_uri: String,
}

/// A state machine of the bundle.
#[derive(Debug, Clone)]
pub struct MachinePlan {
    pub workflow: Workflow,
    /// The definition file, relative to the template.
    pub definition_uri: String,
    pub definition: Value,
}

/// The whole bundle, as the template sees it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub package: String,
    pub architecture: Architecture,
    pub functions: Vec<FunctionPlan>,
    pub machines: Vec<MachinePlan>,
}

/// What the template wires a state machine to: the functions it invokes and the state
/// machines it starts (logical ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wiring {
    pub functions: BTreeSet<String>,
    pub machines: BTreeSet<String>,
    /// Whether it waits for children (`.sync`), which needs describe/stop and the events rule.
    pub waits_for_children: bool,
    /// What its calls of AWS services (DynamoDB, SNS, SQS, EventBridge, Step Functions) need.
    pub services: BTreeSet<ServiceGrant>,
    /// Whether it holds a Distributed Map, whose children are executions of the machine itself.
    pub distributed_map: bool,
}

/// An IAM action a Task calling an AWS service needs, on the resource its arguments name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceGrant {
    /// The IAM action (`dynamodb:PutItem`).
    pub action: &'static str,
    /// The resource's ARN, as a `!Sub` template when it has `${AWS::…}` in it.
    pub resource: String,
    /// Set when the arguments compute the resource at run time: why the ARN ends in a wildcard
    /// (every table, topic, … of the account and region).
    pub computed: Option<String>,
}

/// Why a template cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

/// The template, and what each state machine is wired to.
pub fn template(plan: &Plan) -> Result<(Yaml, BTreeMap<String, Wiring>), TemplateError> {
    check_unique_ids(plan)?;
    let mut resources = Map::new();
    let mut outputs = Map::new();
    for function in &plan.functions {
        function_resources(plan, function, &mut resources, &mut outputs);
    }
    let mut wirings = BTreeMap::new();
    for machine in &plan.machines {
        let wiring = wiring(plan, machine)?;
        machine_resources(plan, machine, &wiring, &mut resources, &mut outputs);
        wirings.insert(machine.workflow.name.clone(), wiring);
    }
    let mut template = Map::new()
        .with("AWSTemplateFormatVersion", "2010-09-09")
        .with("Transform", "AWS::Serverless-2016-10-31")
        .with(
            "Description",
            format!("{}: Lambda functions and state machines built by `stepcraft build`", plan.package),
        )
        .with("Resources", resources);
    if !outputs.is_empty() {
        template.insert("Outputs", outputs);
    }
    Ok((template.into(), wirings))
}

/// The logical id of a function's resource.
pub fn function_id(function: &Function) -> String {
    format!("{}Function", function.placeholder)
}

/// The logical id of a state machine's resource (its placeholder: `CheckoutStateMachine`).
pub fn machine_id(workflow: &Workflow) -> String {
    workflow.placeholder.clone()
}

/// Logical ids are alphanumeric and unique; two functions (or workflows) of one name in
/// different binaries would deploy as one.
fn check_unique_ids(plan: &Plan) -> Result<(), TemplateError> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let functions =
        plan.functions.iter().map(|f| (function_id(&f.function), format!("function `{}`", f.function.name)));
    let machines = plan.machines.iter().map(|m| (machine_id(&m.workflow), format!("workflow `{}`", m.workflow.name)));
    for (id, what) in functions.chain(machines) {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TemplateError(format!("{what} has no usable template name (`{id}`)")));
        }
        if let Some(previous) = seen.insert(id.clone(), what.clone()) {
            return Err(TemplateError(format!(
                "{previous} and {what} both become the template resource `{id}`; rename one of them"
            )));
        }
    }
    Ok(())
}

fn function_resources(plan: &Plan, plan_function: &FunctionPlan, resources: &mut Map, outputs: &mut Map) {
    let function = &plan_function.function;
    let id = function_id(function);
    let log_group = format!("{id}LogGroup");
    let role = format!("{id}Role");
    let timeout = function.timeout.unwrap_or(DEFAULT_TIMEOUT);

    let mut statements = vec![
        Map::new()
            .with("Effect", "Allow")
            .with("Action", Yaml::strs(["logs:CreateLogStream", "logs:PutLogEvents"]))
            .with("Resource", Yaml::get_att(&log_group, "Arn"))
            .into(),
        Yaml::commented(
            "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource (AWS X-Ray: \"Identity-based\n\
             policies\"), so `Tracing: Active` needs \"*\" here.",
            Map::new()
                .with("Effect", "Allow")
                .with("Action", Yaml::strs(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]))
                .with("Resource", "*")
                .into(),
        ),
    ];

    let mut events = Map::new();
    let mut properties = Map::new()
        .with("CodeUri", plan_function.code_uri.as_str())
        .with("Handler", function.name.as_str())
        .with("Runtime", "provided.al2023")
        .with("Architectures", Yaml::strs([plan.architecture.as_str()]))
        .with("MemorySize", function.memory.unwrap_or(DEFAULT_MEMORY))
        .with("Timeout", timeout)
        .with("Tracing", "Active")
        .with("Role", Yaml::get_att(&role, "Arn"))
        .with("LoggingConfig", Map::new().with("LogFormat", "Text").with("LogGroup", Yaml::reference(&log_group)));

    match &function.trigger {
        None => {}
        Some(Trigger::Http(http)) => match http.api {
            HttpApi::Http => {
                let api = format!("{id}HttpApi");
                let mut api_properties = Map::new();
                if let Some(cors) = &http.cors {
                    api_properties.insert("CorsConfiguration", cors_config(cors));
                }
                resources.insert(
                    api.clone(),
                    Map::new().with("Type", "AWS::Serverless::HttpApi").with("Properties", api_properties),
                );
                // No `Path`/`Method`: the `$default` route, every request to the function,
                // which routes them itself.
                events.insert(
                    "Api",
                    Map::new()
                        .with("Type", "HttpApi")
                        .with("Properties", Map::new().with("ApiId", Yaml::reference(&api))),
                );
                outputs.insert(
                    format!("{}Url", function.placeholder),
                    output(
                        format!("The URL of `{}` (API Gateway HTTP API)", function.name),
                        Yaml::sub(format!("https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/")),
                    ),
                );
            }
            HttpApi::Url => {
                let mut url = Map::new().with("AuthType", "NONE");
                if let Some(cors) = &http.cors {
                    url.insert("Cors", cors_config(cors));
                }
                properties.insert(
                    "FunctionUrlConfig",
                    Yaml::commented("A public function URL: the function answers every request itself.", url.into()),
                );
                outputs.insert(
                    format!("{}Url", function.placeholder),
                    output(
                        format!("The function URL of `{}`", function.name),
                        Yaml::get_att(&format!("{id}Url"), "FunctionUrl"),
                    ),
                );
            }
        },
        Some(Trigger::Sqs(sqs)) => {
            let queue = format!("{id}Queue");
            let dlq = format!("{id}DeadLetterQueue");
            let fifo_name =
                |suffix: &str| Yaml::sub(format!("${{AWS::StackName}}-{}{suffix}.fifo", function.placeholder));
            // AWS (Lambda, "Using Lambda with Amazon SQS"): the queue's visibility timeout
            // should be at least six times the function's timeout plus the batching window.
            let visibility = (6 * timeout + sqs.window.unwrap_or(0)).min(43_200);
            let mut dlq_properties = Map::new().with("MessageRetentionPeriod", DLQ_RETENTION_SECONDS);
            let mut queue_properties = Map::new().with("VisibilityTimeout", visibility).with(
                "RedrivePolicy",
                Map::new()
                    .with("deadLetterTargetArn", Yaml::get_att(&dlq, "Arn"))
                    .with("maxReceiveCount", sqs.max_receive),
            );
            if sqs.fifo {
                // A FIFO queue's name must end in `.fifo`, and so must its dead-letter queue's.
                queue_properties.insert("FifoQueue", true);
                queue_properties.insert("QueueName", fifo_name(""));
                dlq_properties.insert("FifoQueue", true);
                dlq_properties.insert("QueueName", fifo_name("-dlq"));
            }
            queue_properties.insert("SqsManagedSseEnabled", true);
            dlq_properties.insert("SqsManagedSseEnabled", true);
            resources
                .insert(dlq.clone(), Map::new().with("Type", "AWS::SQS::Queue").with("Properties", dlq_properties));
            resources
                .insert(queue.clone(), Map::new().with("Type", "AWS::SQS::Queue").with("Properties", queue_properties));
            events.insert(
                "Queue",
                Map::new().with("Type", "SQS").with(
                    "Properties",
                    Map::new()
                        .with("Queue", Yaml::get_att(&queue, "Arn"))
                        .with("BatchSize", sqs.batch_size)
                        .with_opt("MaximumBatchingWindowInSeconds", sqs.window)
                        .with("FunctionResponseTypes", Yaml::strs(["ReportBatchItemFailures"])),
                ),
            );
            statements.push(
                Map::new()
                    .with("Effect", "Allow")
                    .with(
                        "Action",
                        Yaml::strs([
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:ChangeMessageVisibility",
                            "sqs:GetQueueAttributes",
                        ]),
                    )
                    .with("Resource", Yaml::get_att(&queue, "Arn"))
                    .into(),
            );
            outputs.insert(
                format!("{}QueueUrl", function.placeholder),
                output(format!("The queue `{}` consumes", function.name), Yaml::reference(&queue)),
            );
            outputs.insert(
                format!("{}DeadLetterQueueUrl", function.placeholder),
                output(format!("Where messages `{}` keeps failing on end up", function.name), Yaml::reference(&dlq)),
            );
        }
        Some(Trigger::S3(s3)) => {
            let bucket = format!("{id}Bucket");
            resources.insert(
                bucket.clone(),
                Map::new().with("Type", "AWS::S3::Bucket").with(
                    "Properties",
                    Map::new().with(
                        "PublicAccessBlockConfiguration",
                        Map::new()
                            .with("BlockPublicAcls", true)
                            .with("BlockPublicPolicy", true)
                            .with("IgnorePublicAcls", true)
                            .with("RestrictPublicBuckets", true),
                    ),
                ),
            );
            let mut rules = Vec::new();
            for (name, value) in [("prefix", &s3.prefix), ("suffix", &s3.suffix)] {
                if let Some(value) = value {
                    rules.push(Map::new().with("Name", name).with("Value", value.as_str()).into());
                }
            }
            let mut properties =
                Map::new().with("Bucket", Yaml::reference(&bucket)).with("Events", Yaml::strs(&s3.events));
            if !rules.is_empty() {
                properties.insert("Filter", Map::new().with("S3Key", Map::new().with("Rules", Yaml::Seq(rules))));
            }
            events.insert("Upload", Map::new().with("Type", "S3").with("Properties", properties));
            outputs.insert(
                format!("{}BucketName", function.placeholder),
                output(
                    format!("The bucket whose objects `{}` is notified of", function.name),
                    Yaml::reference(&bucket),
                ),
            );
        }
        Some(Trigger::EventBridge(rule)) => {
            events.insert(
                "Rule",
                Map::new()
                    .with("Type", "EventBridgeRule")
                    .with("Properties", Map::new().with("Pattern", Yaml::from_json(&rule.pattern))),
            );
        }
    }
    if !events.is_empty() {
        properties.insert("Events", events);
    }

    resources.insert(
        id.clone(),
        Map::new()
            .with("Type", "AWS::Serverless::Function")
            .with(
                "Metadata",
                Map::new().with("Binary", plan_function.binary.as_str()).with("Kind", kind_name(function.kind)),
            )
            .with("Properties", properties),
    );
    resources.insert(log_group, log_group_resource(None));
    resources.insert(role, role_resource("lambda.amazonaws.com", statements));
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Activity => "activity",
        Kind::Json => "handler",
        Kind::Http => "http handler",
        Kind::Sqs => "sqs handler",
    }
}

fn cors_config(cors: &Cors) -> Yaml {
    // CloudFormation refuses empty lists here; an empty list and no list both allow nothing.
    let list = |items: &[String]| (!items.is_empty()).then(|| Yaml::strs(items));
    Map::new()
        .with_opt("AllowOrigins", list(&cors.origins))
        .with_opt("AllowMethods", list(&cors.methods))
        .with_opt("AllowHeaders", list(&cors.headers))
        .with_opt("ExposeHeaders", list(&cors.expose))
        .with_opt("MaxAge", cors.max_age)
        .with("AllowCredentials", cors.credentials)
        .into()
}

fn output(description: String, value: Yaml) -> Map {
    Map::new().with("Description", description).with("Value", value)
}

fn log_group_resource(name: Option<Yaml>) -> Map {
    Map::new()
        .with("Type", "AWS::Logs::LogGroup")
        .with("Properties", Map::new().with_opt("LogGroupName", name).with("RetentionInDays", LOG_RETENTION_DAYS))
}

fn role_resource(service: &str, statements: Vec<Yaml>) -> Map {
    Map::new().with("Type", "AWS::IAM::Role").with(
        "Properties",
        Map::new()
            .with(
                "AssumeRolePolicyDocument",
                policy_document(vec![
                    Map::new()
                        .with("Effect", "Allow")
                        .with("Principal", Map::new().with("Service", service))
                        .with("Action", "sts:AssumeRole")
                        .into(),
                ]),
            )
            .with(
                "Policies",
                Yaml::seq([Map::new()
                    .with("PolicyName", "least-privilege")
                    .with("PolicyDocument", policy_document(statements))
                    .into()]),
            ),
    )
}

fn policy_document(statements: Vec<Yaml>) -> Map {
    Map::new().with("Version", "2012-10-17").with("Statement", Yaml::Seq(statements))
}

/// What a state machine's definition references, resolved against the bundle: every
/// `${Placeholder}` must be a function or a state machine of it, and every Task must call an
/// integration whose permissions the template knows how to grant.
pub fn wiring(plan: &Plan, machine: &MachinePlan) -> Result<Wiring, TemplateError> {
    let name = &machine.workflow.name;
    let mut wiring = Wiring::default();
    let mut resources = BTreeSet::new();
    task_resources(&machine.definition, &mut resources);
    let mut tasks = Vec::new();
    task_states(&machine.definition, None, &mut tasks);
    for (state, task) in tasks {
        service_grants(state, task, &mut wiring.services);
    }
    for resource in &resources {
        if service_call(resource).is_some() {
            continue;
        }
        match resource.as_str() {
            "arn:aws:states:::lambda:invoke" | "arn:aws:states:::lambda:invoke.waitForTaskToken" => {}
            "arn:aws:states:::states:startExecution" => {}
            "arn:aws:states:::states:startExecution.sync" | "arn:aws:states:::states:startExecution.sync:2" => {
                wiring.waits_for_children = true;
            }
            // A Task whose `Resource` is the function's ARN itself.
            other if other.starts_with("${") => {}
            other => {
                return Err(TemplateError(format!(
                    "state machine `{name}` calls `{other}`, an integration `stepcraft build` cannot grant permissions for"
                )));
            }
        }
    }
    wiring.distributed_map = has_distributed_map(&machine.definition);
    let mut placeholders = BTreeSet::new();
    collect_placeholders(&machine.definition, &mut placeholders);
    for placeholder in placeholders {
        if let Some(function) = plan.functions.iter().find(|f| f.function.placeholder == placeholder) {
            wiring.functions.insert(function_id(&function.function));
        } else if let Some(child) = plan.machines.iter().find(|m| m.workflow.placeholder == placeholder) {
            wiring.machines.insert(machine_id(&child.workflow));
        } else {
            let hosted: Vec<String> = plan
                .functions
                .iter()
                .map(|f| f.function.placeholder.clone())
                .chain(plan.machines.iter().map(|m| m.workflow.placeholder.clone()))
                .collect();
            return Err(TemplateError(format!(
                "state machine `{name}` refers to `${{{placeholder}}}`, which no binary of this package hosts \
                 (it hosts {}); add the activity or workflow to `stepcraft::main!`",
                if hosted.is_empty() { "nothing".to_owned() } else { hosted.join(", ") }
            )));
        }
    }
    Ok(wiring)
}

/// Whether a Map of the definition (at any depth) runs in `DISTRIBUTED` mode.
fn has_distributed_map(node: &Value) -> bool {
    match node {
        Value::Object(map) => {
            map.get("ProcessorConfig").and_then(|c| c.get("Mode")).and_then(Value::as_str) == Some("DISTRIBUTED")
                || map.values().any(has_distributed_map)
        }
        Value::Array(items) => items.iter().any(has_distributed_map),
        _ => false,
    }
}

/// The `Resource` of every Task, branches and iterations included.
fn task_resources(node: &Value, out: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if map.get("Type").and_then(Value::as_str) == Some("Task")
                && let Some(resource) = map.get("Resource").and_then(Value::as_str)
            {
                out.insert(resource.to_owned());
            }
            map.values().for_each(|v| task_resources(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| task_resources(v, out)),
        _ => {}
    }
}

/// Every Task state with its name, branches and iterations included.
fn task_states<'a>(
    node: &'a Value,
    name: Option<&'a str>,
    out: &mut Vec<(&'a str, &'a serde_json::Map<String, Value>)>,
) {
    match node {
        Value::Object(map) => {
            if let Some(name) = name
                && map.get("Type").and_then(Value::as_str) == Some("Task")
            {
                out.push((name, map));
            }
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("States", Value::Object(states)) => states.iter().for_each(|(n, s)| task_states(s, Some(n), out)),
                    _ => task_states(value, None, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| task_states(v, None, out)),
        _ => {}
    }
}

/// What a Task's resource calls: the IAM action and the kind of resource it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Table,
    Topic,
    Queue,
    Bus,
    Machine,
}

/// The AWS service calls the template grants: the AWS SDK integration and the optimized one of
/// each (the IAM action is the API's, whichever integration calls it).
fn service_call(resource: &str) -> Option<(&'static str, Target)> {
    let call =
        resource.strip_prefix("arn:aws:states:::aws-sdk:").or_else(|| resource.strip_prefix("arn:aws:states:::"))?;
    let call = call.strip_suffix(".waitForTaskToken").unwrap_or(call);
    Some(match call {
        "dynamodb:getItem" => ("dynamodb:GetItem", Target::Table),
        "dynamodb:putItem" => ("dynamodb:PutItem", Target::Table),
        "dynamodb:updateItem" => ("dynamodb:UpdateItem", Target::Table),
        "sns:publish" => ("sns:Publish", Target::Topic),
        "sqs:sendMessage" => ("sqs:SendMessage", Target::Queue),
        "events:putEvents" | "eventbridge:putEvents" => ("events:PutEvents", Target::Bus),
        // stepcraft's own machines are named by placeholder (and granted with them), any
        // other by its ARN.
        "sfn:startExecution" | "states:startExecution" => ("states:StartExecution", Target::Machine),
        _ => return None,
    })
}

/// An argument of a Task: a literal string, computed at run time (a JSONata `{% … %}` string,
/// a JSONPath `Key.$`), or absent.
enum Argument<'a> {
    Literal(&'a str),
    Computed,
    Absent,
}

fn argument<'a>(arguments: Option<&'a Value>, key: &str) -> Argument<'a> {
    let Some(arguments) = arguments.and_then(Value::as_object) else { return Argument::Absent };
    if arguments.contains_key(&format!("{key}.$")) {
        return Argument::Computed;
    }
    match arguments.get(key) {
        None => Argument::Absent,
        Some(Value::String(s)) if !s.trim_start().starts_with("{%") => Argument::Literal(s),
        Some(_) => Argument::Computed,
    }
}

const ACCOUNT: &str = "${AWS::Partition}:{service}:${AWS::Region}:${AWS::AccountId}";

fn scoped(service: &str, rest: &str) -> String {
    format!("arn:{}{rest}", ACCOUNT.replace("{service}", service))
}

/// The grants of one Task that calls an AWS service: the action on the table, topic, queue,
/// bus or state machine its arguments name; a wildcard of that kind, in the account and region,
/// when the arguments compute it (`computed` says why).
fn service_grants(state: &str, task: &serde_json::Map<String, Value>, out: &mut BTreeSet<ServiceGrant>) {
    let Some((action, target)) = task.get("Resource").and_then(Value::as_str).and_then(service_call) else { return };
    let arguments = task.get("Arguments").or_else(|| task.get("Parameters"));
    let computed = |what: &str, field: &str| {
        Some(format!(
            "The {field} of `{state}` is computed at run time, so `{action}` is granted on every {what} of the\n\
             account and region."
        ))
    };
    let mut grant = |resource: String, computed: Option<String>| {
        out.insert(ServiceGrant { action, resource, computed });
    };
    match target {
        Target::Table => match argument(arguments, "TableName") {
            Argument::Literal(arn) if arn.starts_with("arn:") => grant(arn.to_owned(), None),
            Argument::Literal(name) => grant(scoped("dynamodb", &format!(":table/{name}")), None),
            _ => grant(scoped("dynamodb", ":table/*"), computed("table", "`TableName`")),
        },
        Target::Topic => match argument(arguments, "TopicArn") {
            Argument::Literal(arn) => grant(arn.to_owned(), None),
            _ => grant(scoped("sns", ":*"), computed("topic", "`TopicArn`")),
        },
        Target::Queue => match argument(arguments, "QueueUrl") {
            Argument::Literal(url) => match queue_arn(url) {
                Some(arn) => grant(arn, None),
                None => grant(scoped("sqs", ":*"), computed("queue", "`QueueUrl`")),
            },
            _ => grant(scoped("sqs", ":*"), computed("queue", "`QueueUrl`")),
        },
        Target::Bus => {
            let entries = arguments.and_then(|a| a.get("Entries"));
            match entries.and_then(Value::as_array) {
                Some(entries) => {
                    for entry in entries {
                        match argument(Some(entry), "EventBusName") {
                            Argument::Literal(arn) if arn.starts_with("arn:") => grant(arn.to_owned(), None),
                            Argument::Literal(name) => grant(scoped("events", &format!(":event-bus/{name}")), None),
                            Argument::Absent => grant(scoped("events", ":event-bus/default"), None),
                            Argument::Computed => {
                                grant(scoped("events", ":event-bus/*"), computed("event bus", "`EventBusName`"))
                            }
                        }
                    }
                }
                None => grant(scoped("events", ":event-bus/*"), computed("event bus", "`Entries`")),
            }
        }
        Target::Machine => match argument(arguments, "StateMachineArn") {
            // stepcraft's own machines: granted with `machines`, by reference.
            Argument::Literal(arn) if arn.starts_with("${") => {}
            Argument::Literal(arn) => grant(arn.to_owned(), None),
            _ => grant(scoped("states", ":stateMachine:*"), computed("state machine", "`StateMachineArn`")),
        },
    }
}

/// The ARN of the queue at `url` (`https://sqs.us-east-1.amazonaws.com/123456789012/orders`).
fn queue_arn(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let (account, name) = (parts.next()?, parts.next()?);
    let region = host.strip_prefix("sqs.").and_then(|h| h.split('.').next())?;
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    (parts.next().is_none() && valid(region) && valid(account) && valid(name))
        .then(|| format!("arn:${{AWS::Partition}}:sqs:{region}:{account}:{name}"))
}

/// `DefinitionSubstitutions` replaces `${Name}` anywhere in the definition's text.
fn collect_placeholders(node: &Value, out: &mut BTreeSet<String>) {
    match node {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                let name = &after[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.insert(name.to_owned());
                }
                rest = &after[end + 1..];
            }
        }
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            collect_placeholders(&Value::String(k.clone()), out);
            collect_placeholders(v, out);
        }),
        Value::Array(items) => items.iter().for_each(|v| collect_placeholders(v, out)),
        _ => {}
    }
}

fn machine_resources(plan: &Plan, machine: &MachinePlan, wiring: &Wiring, resources: &mut Map, outputs: &mut Map) {
    let workflow = &machine.workflow;
    let id = machine_id(workflow);
    let log_group = format!("{id}LogGroup");
    let role = format!("{id}Role");

    let mut substitutions = Map::new();
    for function in &plan.functions {
        let function_id = function_id(&function.function);
        if wiring.functions.contains(&function_id) {
            substitutions.insert(function.function.placeholder.as_str(), Yaml::get_att(&function_id, "Arn"));
        }
    }
    for child in &plan.machines {
        let child_id = machine_id(&child.workflow);
        if wiring.machines.contains(&child_id) {
            substitutions.insert(child.workflow.placeholder.as_str(), Yaml::reference(&child_id));
        }
    }

    let mut statements = Vec::new();
    if !wiring.functions.is_empty() {
        statements.push(
            Map::new()
                .with("Effect", "Allow")
                .with("Action", "lambda:InvokeFunction")
                .with("Resource", Yaml::seq(wiring.functions.iter().map(|f| Yaml::get_att(f, "Arn"))))
                .into(),
        );
    }
    if !wiring.machines.is_empty() {
        statements.push(
            Map::new()
                .with("Effect", "Allow")
                .with("Action", "states:StartExecution")
                .with("Resource", Yaml::seq(wiring.machines.iter().map(Yaml::reference)))
                .into(),
        );
        if wiring.waits_for_children {
            // Step Functions, "IAM policies for nested workflows": `.sync` describes and stops
            // the child's executions and manages one EventBridge rule of its own.
            statements.push(
                Map::new()
                    .with("Effect", "Allow")
                    .with("Action", Yaml::strs(["states:DescribeExecution", "states:StopExecution"]))
                    .with(
                        "Resource",
                        Yaml::seq(wiring.machines.iter().map(|m| {
                            Yaml::sub(format!(
                                "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:${{{m}.Name}}:*"
                            ))
                        })),
                    )
                    .into(),
            );
            statements.push(
                Map::new()
                    .with("Effect", "Allow")
                    .with("Action", Yaml::strs(["events:PutTargets", "events:PutRule", "events:DescribeRule"]))
                    .with(
                        "Resource",
                        Yaml::sub(
                            "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
                        ),
                    )
                    .into(),
            );
        }
    }
    statements.extend(service_statements(&wiring.services));
    statements.push(Yaml::commented(
        "CloudWatch Logs' log-delivery actions take no resource (Step Functions, \"IAM policies for\n\
         logging to CloudWatch Logs\"), so logging needs \"*\" here.",
        Map::new()
            .with("Effect", "Allow")
            .with(
                "Action",
                Yaml::strs([
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ]),
            )
            .with("Resource", "*")
            .into(),
    ));
    statements.push(Yaml::commented(
        "X-Ray's trace and sampling actions take no resource (Step Functions, \"IAM policies for\n\
         using AWS X-Ray\"), so `Tracing` needs \"*\" here.",
        Map::new()
            .with("Effect", "Allow")
            .with(
                "Action",
                Yaml::strs([
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ]),
            )
            .with("Resource", "*")
            .into(),
    ));

    let mut properties =
        Map::new().with("Type", workflow.kind.as_str()).with("DefinitionUri", machine.definition_uri.as_str());
    if !substitutions.is_empty() {
        properties.insert("DefinitionSubstitutions", substitutions);
    }
    properties.insert("Role", Yaml::get_att(&role, "Arn"));
    properties.insert(
        "Logging",
        Map::new().with("Level", "ALL").with("IncludeExecutionData", true).with(
            "Destinations",
            Yaml::seq([Map::new()
                .with("CloudWatchLogsLogGroup", Map::new().with("LogGroupArn", Yaml::get_att(&log_group, "Arn")))
                .into()]),
        ),
    );
    properties.insert("Tracing", Map::new().with("Enabled", true));

    resources.insert(
        id.clone(),
        Map::new()
            .with("Type", "AWS::Serverless::StateMachine")
            .with("Metadata", Map::new().with("Workflow", workflow.name.as_str()))
            .with("Properties", properties),
    );
    // Step Functions recommends the `/aws/vendedlogs/` prefix: log groups under it do not
    // count against CloudWatch Logs' resource-policy size limit.
    resources.insert(
        log_group,
        log_group_resource(Some(Yaml::sub(format!("/aws/vendedlogs/states/${{AWS::StackName}}-{}", workflow.name)))),
    );
    if wiring.distributed_map {
        resources.insert(format!("{id}DistributedMapPolicy"), distributed_map_policy(&id, &role));
    }
    resources.insert(role, role_resource("states.amazonaws.com", statements));
    outputs.insert(
        format!("{id}Arn"),
        output(format!("The ARN of state machine `{}`", workflow.name), Yaml::reference(&id)),
    );
}

/// What a Distributed Map's machine `id` needs to run its children (executions of itself): a
/// policy of its own on the machine's role, since the role cannot name the machine it belongs
/// to without a circular dependency.
fn distributed_map_policy(id: &str, role: &str) -> Map {
    let statements = vec![
        Yaml::commented(
            "Step Functions, \"IAM policies for using Distributed Map states\": \"When you include a\n\
             Distributed Map state in your workflows, Step Functions needs appropriate permissions to\n\
             allow the state machine role to invoke the StartExecution API action for the Distributed\n\
             Map state\" (\"states:StartExecution\" on the state machine itself).",
            Map::new()
                .with("Effect", "Allow")
                .with("Action", "states:StartExecution")
                .with("Resource", Yaml::seq([Yaml::reference(id)]))
                .into(),
        ),
        Yaml::commented(
            "The same page's policy: \"states:DescribeExecution\" and \"states:StopExecution\" on its\n\
             executions; a child is named `execution:<machine>/<Map Run label>:<id>`, hence `/*`.",
            Map::new()
                .with("Effect", "Allow")
                .with("Action", Yaml::strs(["states:DescribeExecution", "states:StopExecution"]))
                .with(
                    "Resource",
                    Yaml::seq([Yaml::sub(format!(
                        "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:${{{id}.Name}}/*"
                    ))]),
                )
                .into(),
        ),
    ];
    Map::new().with("Type", "AWS::IAM::Policy").with(
        "Properties",
        Map::new()
            .with("PolicyName", "distributed-map")
            .with("Roles", Yaml::seq([Yaml::reference(role)]))
            .with("PolicyDocument", policy_document(statements)),
    )
}

/// The statements of a machine's service calls: per action, one on the resources the
/// definition names, and one per wildcard, commented with the reason.
fn service_statements(grants: &BTreeSet<ServiceGrant>) -> Vec<Yaml> {
    let arn = |resource: &str| if resource.contains("${") { Yaml::sub(resource) } else { Yaml::str(resource) };
    let mut statements = Vec::new();
    let actions: BTreeSet<&str> = grants.iter().map(|g| g.action).collect();
    for action in actions {
        let named: Vec<Yaml> =
            grants.iter().filter(|g| g.action == action && g.computed.is_none()).map(|g| arn(&g.resource)).collect();
        if !named.is_empty() {
            statements.push(
                Map::new().with("Effect", "Allow").with("Action", action).with("Resource", Yaml::seq(named)).into(),
            );
        }
        for grant in grants.iter().filter(|g| g.action == action) {
            if let Some(why) = &grant.computed {
                statements.push(Yaml::commented(
                    why.clone(),
                    Map::new()
                        .with("Effect", "Allow")
                        .with("Action", action)
                        .with("Resource", Yaml::seq([arn(&grant.resource)]))
                        .into(),
                ));
            }
        }
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::super::hosted::{Hosted, WorkflowType};
    use super::*;
    use serde_json::json;

    fn hosted() -> Hosted {
        serde_json::from_value(json!({
            "functions": [
                {"name": "charge", "placeholder": "Charge", "kind": "activity", "memory": 256, "timeout": 10, "trigger": null},
                {"name": "refund", "placeholder": "Refund", "kind": "activity", "memory": null, "timeout": null, "trigger": null},
                {"name": "orders", "placeholder": "Orders", "kind": "sqs", "memory": null, "timeout": 20,
                 "trigger": {"sqs": {"batch_size": 10, "window": null, "fifo": true, "max_receive": 3}}}
            ],
            "workflows": [
                {"name": "Pay", "placeholder": "PayStateMachine", "type": "STANDARD"},
                {"name": "Parent", "placeholder": "ParentStateMachine", "type": "EXPRESS"}
            ]
        }))
        .unwrap()
    }

    fn plan(pay: Value, parent: Value) -> Plan {
        let hosted = hosted();
        Plan {
            package: "shop".into(),
            architecture: Architecture::X86_64,
            functions: hosted
                .functions
                .into_iter()
                .map(|function| FunctionPlan { function, binary: "shop".into(), code_uri: "shop/bootstrap.zip".into() })
                .collect(),
            machines: hosted
                .workflows
                .into_iter()
                .zip([pay, parent])
                .map(|(workflow, definition)| MachinePlan {
                    definition_uri: format!("statemachines/{}.asl.json", workflow.name),
                    workflow,
                    definition,
                })
                .collect(),
        }
    }

    fn lambda_task(placeholder: &str) -> Value {
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Arguments": {"FunctionName": format!("${{{placeholder}}}"), "Payload": "{% $states.input %}"}, "End": true})
    }

    #[test]
    fn a_distributed_map_may_start_describe_and_stop_its_own_children() {
        let pay = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "Items": "{% [1, 2] %}", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "A", "States": {"A": lambda_task("Charge")}}}}});
        let parent = json!({"StartAt": "A", "States": {"A": lambda_task("Refund")}});
        let (template, wirings) = template(&plan(pay, parent)).unwrap();
        assert!(wirings["Pay"].distributed_map && !wirings["Parent"].distributed_map);
        let text = template.to_document();
        let policy = text.split("PayStateMachineDistributedMapPolicy:\n").nth(1).expect("a policy of its own");
        let policy = &policy[..policy.find("\n  Pay").unwrap_or(policy.len())];
        assert!(policy.contains("Type: AWS::IAM::Policy") && policy.contains("- !Ref PayStateMachineRole"), "{policy}");
        assert!(policy.contains("Action: states:StartExecution\n") && policy.contains("- !Ref PayStateMachine\n"));
        assert!(policy.contains("- states:DescribeExecution\n") && policy.contains("- states:StopExecution\n"));
        assert!(policy.contains(":execution:${PayStateMachine.Name}/*"), "{policy}");
        assert_eq!(text.matches("DistributedMapPolicy:").count(), 1, "only the machine holding one: {text}");
    }

    #[test]
    fn a_machine_is_wired_to_exactly_what_it_references() {
        let pay = json!({"StartAt": "A", "States": {"A": lambda_task("Charge")}});
        let parent = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Child", "States": {"Child": {"Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Arguments": {"StateMachineArn": "${PayStateMachine}", "Input": {}}, "End": true}}}]}}});
        let (template, wirings) = template(&plan(pay, parent)).unwrap();
        assert_eq!(wirings["Pay"].functions, BTreeSet::from(["ChargeFunction".to_owned()]));
        assert!(wirings["Pay"].machines.is_empty());
        assert_eq!(wirings["Parent"].machines, BTreeSet::from(["PayStateMachine".to_owned()]));
        assert!(wirings["Parent"].waits_for_children);
        let text = template.to_document();
        assert!(
            text.contains("      DefinitionSubstitutions:\n        Charge: !GetAtt ChargeFunction.Arn\n"),
            "{text}"
        );
        assert!(text.contains("Type: EXPRESS"));
        assert!(text.contains("QueueName: !Sub \"${AWS::StackName}-Orders.fifo\""), "{text}");
        assert!(text.contains("maxReceiveCount: 3"));
        // 6 × the 20 s function timeout.
        assert!(text.contains("VisibilityTimeout: 120"));
        assert!(text.contains("MemorySize: 256") && text.contains("MemorySize: 128"));
        assert!(!text.contains("RefundFunction.Arn\n        "), "nothing invokes `refund`");
        let stars = text.matches("Resource: \"*\"").count();
        let commented_stars = text.matches("needs \"*\" here.").count();
        assert_eq!(stars, commented_stars, "every \"*\" is commented");
    }

    #[test]
    fn an_unhosted_reference_fails_the_build() {
        let pay = json!({"StartAt": "A", "States": {"A": lambda_task("Ship")}});
        let parent = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
        let error = template(&plan(pay, parent)).unwrap_err();
        assert!(error.0.contains("`${Ship}`, which no binary of this package hosts"), "{error}");
        assert!(error.0.contains("Charge, Refund, Orders, PayStateMachine, ParentStateMachine"), "{error}");
    }

    #[test]
    fn an_unknown_integration_fails_the_build() {
        let pay = json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "End": true}}});
        let parent = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
        let error = template(&plan(pay, parent)).unwrap_err();
        assert!(error.0.contains("arn:aws:states:::ecs:runTask.sync"), "{error}");
    }

    fn sdk_task(resource: &str, arguments: Value) -> Value {
        json!({"Type": "Task", "Resource": resource, "Arguments": arguments, "End": true})
    }

    /// Each service call is granted its API's action on the resource its arguments name, and
    /// nothing else; a resource computed at run time gets the narrowest wildcard, commented.
    #[test]
    fn service_calls_are_granted_their_action_on_the_named_resource() {
        let pay = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Get", "States": {
                "Get": sdk_task("arn:aws:states:::aws-sdk:dynamodb:getItem", json!({"TableName": "orders", "Key": {}})),
            }},
            {"StartAt": "Put", "States": {
                "Put": sdk_task("arn:aws:states:::aws-sdk:dynamodb:putItem", json!({"TableName": "orders", "Item": {}})),
            }},
            {"StartAt": "Update", "States": {
                "Update": sdk_task("arn:aws:states:::dynamodb:updateItem", json!({"TableName": "{% $states.input.table %}"})),
            }},
            {"StartAt": "Publish", "States": {
                "Publish": sdk_task("arn:aws:states:::sns:publish", json!({"TopicArn": "arn:aws:sns:us-east-1:123456789012:orders", "Message": "m"})),
            }},
            {"StartAt": "Send", "States": {
                "Send": sdk_task("arn:aws:states:::aws-sdk:sqs:sendMessage", json!({"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/ship", "MessageBody": "m"})),
            }},
            {"StartAt": "Announce", "States": {
                "Announce": sdk_task("arn:aws:states:::events:putEvents", json!({"Entries": [
                    {"Source": "s", "DetailType": "d", "Detail": "{}"},
                    {"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "audit"}
                ]})),
            }},
            {"StartAt": "Start", "States": {
                "Start": sdk_task("arn:aws:states:::aws-sdk:sfn:startExecution", json!({"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:other"})),
            }}
        ]}}});
        let parent = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}});
        let (template, wirings) = template(&plan(pay, parent)).unwrap();
        let actions: Vec<&str> = wirings["Pay"].services.iter().map(|g| g.action).collect();
        assert_eq!(
            actions,
            [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "events:PutEvents",
                "events:PutEvents",
                "sns:Publish",
                "sqs:SendMessage",
                "states:StartExecution"
            ]
        );
        assert!(wirings["Pay"].functions.is_empty() && wirings["Pay"].machines.is_empty());
        let text = template.to_document();
        for expected in [
            "Action: dynamodb:GetItem\n              Resource:\n                - !Sub \"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders\"\n",
            "Action: sns:Publish\n              Resource:\n                - arn:aws:sns:us-east-1:123456789012:orders\n",
            "Action: sqs:SendMessage\n              Resource:\n                - !Sub \"arn:${AWS::Partition}:sqs:eu-west-1:123456789012:ship\"\n",
            "event-bus/audit\"\n",
            "event-bus/default\"\n",
            "Action: states:StartExecution\n              Resource:\n                - arn:aws:states:us-east-1:123456789012:stateMachine:other\n",
            "# The `TableName` of `Update` is computed at run time, so `dynamodb:UpdateItem` is granted on every table of the",
            ":table/*\"\n",
        ] {
            let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(words(&text).contains(&words(expected)), "{expected}\n---\n{text}");
        }
        let parent_role = text.split("ParentStateMachineRole:").nth(1).unwrap();
        assert!(!parent_role.contains("dynamodb:"), "the other machine gets nothing: {parent_role}");
    }

    #[test]
    fn queue_urls_become_queue_arns() {
        assert_eq!(
            queue_arn("https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo").as_deref(),
            Some("arn:${AWS::Partition}:sqs:us-east-1:123456789012:orders.fifo")
        );
        assert_eq!(queue_arn("https://example.com/queue"), None);
        assert_eq!(queue_arn("https://sqs.us-east-1.amazonaws.com/123456789012/a/b"), None);
    }

    #[test]
    fn duplicate_names_fail_the_build() {
        let mut plan = plan(json!({}), json!({}));
        let mut twin = plan.functions[0].clone();
        twin.binary = "other".into();
        plan.functions.push(twin);
        let error = template(&plan).unwrap_err();
        assert!(error.0.contains("both become the template resource `ChargeFunction`"), "{error}");
        assert_eq!(plan.machines[1].workflow.kind, WorkflowType::Express);
    }
}
