//! HTTP handlers (`#[handler(http)]`) behind API Gateway (REST and HTTP APIs) or a function URL,
//! on `lambda_http`: typed JSON bodies, CORS from the attribute, and one JSON error shape for
//! every failure, `{"error": {"type": …, "message": …}}`, with the matching status code.

use crate::error::FunctionError;
use crate::handler::HttpHandler;
use crate::lambda::{self, catch_panic};
use crate::{BoxError, Error};
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, RequestExt, Service, service_fn};
use lambda_runtime::{LambdaEvent, Runtime, layers::TracingLayer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::convert::Infallible;

pub use lambda_http::{Body, Request, Response};

/// A JSON body: as a handler's event, the request body decoded into `T` (a body that does not
/// decode is answered `400` with `InvalidInput`, naming the field); as its output, a `200`
/// response with `T` encoded as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

/// What an HTTP handler can take as its event.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the event of an HTTP handler",
    note = "take the whole request (`stepcraft::http::Request`) or a JSON body (`stepcraft::http::Json<T>`)"
)]
pub trait FromHttpRequest: Sized + Send {
    /// Extracts the event from the request.
    fn from_request(request: Request) -> Result<Self, FunctionError>;
}

impl FromHttpRequest for Request {
    fn from_request(request: Request) -> Result<Self, FunctionError> {
        Ok(request)
    }
}

impl<T: DeserializeOwned + Send> FromHttpRequest for Json<T> {
    fn from_request(request: Request) -> Result<Self, FunctionError> {
        let bytes: &[u8] = match request.body() {
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
            _ => b"",
        };
        lambda::decode(bytes).map(Json)
    }
}

/// What an HTTP handler can return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the output of an HTTP handler",
    note = "return a `stepcraft::http::Response<Body>`, a `Json<T>`, a `(status, Json<T>)` pair, a `String` or `()`"
)]
pub trait IntoHttpResponse: Send {
    /// Converts into the response.
    fn into_http_response(self) -> Response<Body>;
}

impl IntoHttpResponse for Response<Body> {
    fn into_http_response(self) -> Response<Body> {
        self
    }
}

impl<T: Serialize + Send> IntoHttpResponse for Json<T> {
    fn into_http_response(self) -> Response<Body> {
        (200, self).into_http_response()
    }
}

impl<T: Serialize + Send> IntoHttpResponse for (u16, Json<T>) {
    fn into_http_response(self) -> Response<Body> {
        match serde_json::to_string(&self.1.0) {
            Ok(body) => json_response(self.0, body),
            Err(e) => error_response(&FunctionError::new("InvalidOutput", e.to_string()), 500),
        }
    }
}

impl IntoHttpResponse for String {
    fn into_http_response(self) -> Response<Body> {
        let mut response = Response::new(Body::Text(self));
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        response
    }
}

impl IntoHttpResponse for () {
    fn into_http_response(self) -> Response<Body> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
    }
}

fn json_response(status: u16, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The uniform error response: `{"error": {"type": name, "message": message}}`.
pub fn error_response(error: &FunctionError, status: u16) -> Response<Body> {
    let body = serde_json::json!({ "error": { "type": error.error_type, "message": error.message } });
    json_response(status, body.to_string())
}

/// The status of the glue's own errors.
fn status_of(error: &FunctionError) -> u16 {
    match error.error_type.as_ref() {
        FunctionError::INVALID_INPUT => 400,
        FunctionError::PAYLOAD_TOO_LARGE => 413,
        _ => 500,
    }
}

/// A CORS policy, from `#[handler(http(cors(..)))]`.
///
/// Preflight requests (`OPTIONS` with `Access-Control-Request-Method`) are answered by the
/// glue without calling the handler; other responses to an allowed origin carry
/// `Access-Control-Allow-Origin` (and `Vary: Origin` unless every origin is allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cors {
    /// Allowed origins (`scheme://host[:port]`), or `"*"` for any.
    pub origins: &'static [&'static str],
    /// Allowed methods.
    pub methods: &'static [&'static str],
    /// Allowed request headers, or `"*"` for any the browser asks for.
    pub headers: &'static [&'static str],
    /// Response headers the browser may read.
    pub expose: &'static [&'static str],
    /// How long the browser may cache a preflight answer, in seconds.
    pub max_age: Option<u32>,
    /// Whether credentials (cookies, authorization) are allowed.
    pub credentials: bool,
}

impl Cors {
    /// Methods allowed when the attribute names none.
    pub const DEFAULT_METHODS: &'static [&'static str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
    /// Request headers allowed when the attribute names none.
    pub const DEFAULT_HEADERS: &'static [&'static str] = &["content-type", "authorization"];

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    fn allow_origin<'a>(&self, origin: &'a str) -> Option<&'a str> {
        if self.origins.contains(&"*") {
            Some(if self.credentials { origin } else { "*" })
        } else {
            self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)).then_some(origin)
        }
    }

    fn decorate(&self, origin: &str, response: &mut Response<Body>) {
        let Some(allowed) = self.allow_origin(origin) else { return };
        let headers = response.headers_mut();
        insert(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        if allowed != "*" {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        if self.credentials {
            headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
        if !self.expose.is_empty() {
            insert(headers, header::ACCESS_CONTROL_EXPOSE_HEADERS, &self.expose.join(", "));
        }
    }

    fn preflight(&self, origin: &str, request: &Request) -> Response<Body> {
        let requested_method = header_str(request, header::ACCESS_CONTROL_REQUEST_METHOD).unwrap_or_default();
        if self.allow_origin(origin).is_none() {
            let error = FunctionError::new("CorsOriginNotAllowed", format!("origin `{origin}` is not allowed"));
            return error_response(&error, 403);
        }
        if !self.methods.iter().any(|m| m.eq_ignore_ascii_case(requested_method)) {
            let error =
                FunctionError::new("CorsMethodNotAllowed", format!("method `{requested_method}` is not allowed"));
            return error_response(&error, 403);
        }
        let mut response = ().into_http_response();
        self.decorate(origin, &mut response);
        let headers = response.headers_mut();
        insert(headers, header::ACCESS_CONTROL_ALLOW_METHODS, &self.methods.join(", "));
        let allow_headers = if self.headers.contains(&"*") {
            header_str(request, header::ACCESS_CONTROL_REQUEST_HEADERS).unwrap_or_default().to_owned()
        } else {
            self.headers.join(", ")
        };
        if !allow_headers.is_empty() {
            insert(headers, header::ACCESS_CONTROL_ALLOW_HEADERS, &allow_headers);
        }
        if let Some(max_age) = self.max_age {
            insert(headers, header::ACCESS_CONTROL_MAX_AGE, &max_age.to_string());
        }
        response
    }
}

fn insert(headers: &mut lambda_http::http::HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn header_str(request: &Request, name: header::HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Answers one request: CORS preflight, else decode, call, encode, with every failure turned
/// into the uniform JSON error.
async fn respond<H: HttpHandler>(request: Request, state: &'static H::State) -> Response<Body>
where
    H::Event: FromHttpRequest,
    H::Output: IntoHttpResponse,
{
    let origin = header_str(&request, header::ORIGIN).map(str::to_owned);
    if let (Some(cors), Some(origin)) = (H::CORS, &origin)
        && request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return cors.preflight(origin, &request);
    }
    let context = request.lambda_context_ref().cloned().unwrap_or_default();
    let outcome = catch_panic(async move {
        let event = H::Event::from_request(request)?;
        Ok(match H::call(event, state, context).await {
            Ok(output) => output.into_http_response(),
            Err(error) => {
                let status = error.status();
                tracing::warn!(errorType = error.name(), status, "request failed: {error}");
                error_response(&FunctionError::from_error(&error), status)
            }
        })
    })
    .await;
    let mut response = outcome.unwrap_or_else(|error| {
        tracing::warn!(errorType = %error.error_type, "request failed: {}", error.message);
        error_response(&error, status_of(&error))
    });
    if let (Some(cors), Some(origin)) = (H::CORS, &origin) {
        cors.decorate(origin, &mut response);
    }
    response
}

fn adapter<H: HttpHandler>(
    state: &'static H::State,
) -> impl Service<LambdaEvent<LambdaRequest>, Response: Serialize, Error = Infallible>
where
    H::Event: FromHttpRequest,
    H::Output: IntoHttpResponse,
{
    Checked(Adapter::from(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(respond::<H>(request, state).await)
    })))
}

/// A request `lambda_http` cannot convert (see [`check_request`]) is answered `400` before it
/// reaches the adapter, which would panic on it; one past its deadline is answered `504`.
struct Checked<S>(S);

/// The adapter's answer, or the refusal of [`Checked`] (the proxy response as JSON).
#[derive(Serialize)]
#[serde(untagged)]
enum Answer<R> {
    Adapter(R),
    Refused(Value),
}

impl<S> Service<LambdaEvent<LambdaRequest>> for Checked<S>
where
    S: Service<LambdaEvent<LambdaRequest>, Error = Infallible>,
    S::Future: Send + 'static,
    S::Response: Serialize + Send + 'static,
{
    type Response = Answer<S::Response>;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, event: LambdaEvent<LambdaRequest>) -> Self::Future {
        lambda::INVOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(error) = lambda::past_deadline(&event.context) {
            tracing::warn!(errorType = %error.error_type, "request refused: {}", error.message);
            let response = refusal(&event.payload, &error, 504);
            return Box::pin(std::future::ready(Ok(Answer::Refused(response))));
        }
        match check_request(&event.payload) {
            Ok(()) => {
                let future = self.0.call(event);
                Box::pin(async move { future.await.map(Answer::Adapter) })
            }
            Err(error) => {
                tracing::warn!(errorType = %error.error_type, "request refused: {}", error.message);
                let response = refusal(&event.payload, &error, 400);
                Box::pin(std::future::ready(Ok(Answer::Refused(response))))
            }
        }
    }
}

/// The proxy response to a request refused before the adapter, shaped for its API.
fn refusal(request: &LambdaRequest, error: &FunctionError, status: u16) -> Value {
    let body = serde_json::json!({ "error": { "type": error.error_type, "message": error.message } }).to_string();
    match request {
        LambdaRequest::ApiGatewayV1(_) => serde_json::json!({
            "statusCode": status,
            "headers": {},
            "multiValueHeaders": {"content-type": ["application/json"]},
            "body": body,
            "isBase64Encoded": false,
        }),
        _ => serde_json::json!({
            "statusCode": status,
            "headers": {"content-type": "application/json"},
            "multiValueHeaders": {},
            "body": body,
            "isBase64Encoded": false,
            "cookies": [],
        }),
    }
}

/// Whether `lambda_http` can convert the request without panicking: it decodes a body marked
/// base64 with an unwrap, writes a REST API's query parameters with `query_map` (which panics on
/// a key without values), and formats
/// `{x-forwarded-proto or https}://{host header or requestContext.domainName}{path}` (the stage
/// prefixed, as it does) and unwraps the parse. Such a request is refused naming the field.
fn check_request(request: &LambdaRequest) -> Result<(), FunctionError> {
    let (headers, domain, stage, raw_path, path_field, query) = match request {
        LambdaRequest::ApiGatewayV1(r) => {
            let context = &r.request_context;
            (&r.headers, context.domain_name.as_deref(), &context.stage, r.path.as_deref(), "path", None)
        }
        LambdaRequest::ApiGatewayV2(r) => {
            let context = &r.request_context;
            let query = r.raw_query_string.as_deref().filter(|q| !q.is_empty());
            (&r.headers, context.domain_name.as_deref(), &context.stage, r.raw_path.as_deref(), "rawPath", query)
        }
        #[allow(unreachable_patterns)]
        _ => return Ok(()),
    };
    // The body of a request marked base64 is decoded with an unwrap.
    let (base64, body) = match request {
        LambdaRequest::ApiGatewayV1(r) => (r.is_base64_encoded, r.body.as_deref()),
        LambdaRequest::ApiGatewayV2(r) => (r.is_base64_encoded, r.body.as_deref()),
        #[allow(unreachable_patterns)]
        _ => (false, None),
    };
    if let Some(body) = body.filter(|_| base64) {
        use base64::Engine;
        if let Err(error) = base64::engine::general_purpose::STANDARD.decode(body) {
            return Err(FunctionError::invalid_input(
                "body",
                format!("`isBase64Encoded` is true but the body is not base64: {error}"),
            ));
        }
    }
    // `query_map` indexes the first value of each key while writing a REST API request's query
    // string, and panics on a key without values.
    if let LambdaRequest::ApiGatewayV1(r) = request {
        let maps = [
            ("multiValueQueryStringParameters", &r.multi_value_query_string_parameters),
            ("queryStringParameters", &r.query_string_parameters),
        ];
        for (field, map) in maps {
            if let Ok(Value::Object(map)) = serde_json::to_value(map)
                && let Some((key, _)) = map.iter().find(|(_, v)| v.as_array().is_some_and(Vec::is_empty))
            {
                return Err(FunctionError::invalid_input(
                    &format!("{field}.{key}"),
                    "a query parameter without a value",
                ));
            }
        }
    }
    let raw_path = raw_path.unwrap_or_default();
    let path = match stage.as_deref() {
        _ if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_some() => raw_path.to_owned(),
        None | Some("$default") => raw_path.to_owned(),
        Some(stage) if raw_path.starts_with(&format!("/{stage}/")) => raw_path.to_owned(),
        Some(stage) => format!("/{stage}{raw_path}"),
    };
    let header_host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let host = header_host.or(domain);
    let proto = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok());
    let url = |scheme: &str, path: &str| match host {
        None => format!("http://localhost{path}"),
        Some(host) => format!("{scheme}://{host}{path}"),
    };
    // `lambda_http` parses the URL, then hands its text (and an HTTP API's raw query string)
    // to `http::Uri`, unwrapping both.
    let parses = |text: &str, query: Option<&str>| {
        url::Url::parse(text).is_ok_and(|url| {
            let mut uri = url.to_string();
            if let Some(query) = query {
                uri.push('?');
                uri.push_str(query);
            }
            lambda_http::http::Uri::try_from(uri).is_ok()
        })
    };
    let full = url(proto.unwrap_or("https"), &path);
    if parses(&full, query) {
        return Ok(());
    }
    if parses(&full, None) {
        return Err(FunctionError::invalid_input(
            "rawQueryString",
            format!("`{full}?{}` is not a URL", query.unwrap_or_default()),
        ));
    }
    let parses = |text: &str| parses(text, None);
    let field = if !parses(&url("https", "/")) {
        if header_host.is_some() { "headers.host" } else { "requestContext.domainName" }
    } else if !parses(&url(proto.unwrap_or("https"), "/")) {
        "headers.x-forwarded-proto"
    } else if stage.as_deref().is_some_and(|stage| !parses(&url("https", &format!("/{stage}")))) {
        "requestContext.stage"
    } else {
        path_field
    };
    Err(FunctionError::invalid_input(field, format!("`{full}` is not a URL")))
}

/// Serves an HTTP handler on Lambda's loop.
pub(crate) async fn serve<H: HttpHandler>(state: &'static H::State) -> Result<(), BoxError>
where
    H::Event: FromHttpRequest,
    H::Output: IntoHttpResponse,
{
    lambda::run_restarting(|| Runtime::new(adapter::<H>(state)).layer(TracingLayer::new()).run()).await
}

/// One request from the command line: the event is an API Gateway or function URL event, the
/// result the proxy response Lambda would return.
pub(crate) async fn invoke<H: HttpHandler>(event: Vec<u8>, state: &'static H::State) -> Result<Value, FunctionError>
where
    H::Event: FromHttpRequest,
    H::Output: IntoHttpResponse,
{
    let request = lambda::decode::<LambdaRequest>(&event).map_err(|error| request_error(&event, error))?;
    let event = LambdaEvent::new(request, crate::handler::local_context());
    let response = match adapter::<H>(state).call(event).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    serde_json::to_value(response).map_err(|e| FunctionError::new("InvalidOutput", e.to_string()))
}

/// Why an event is not a request: `lambda_http` tries each kind of event in turn and names no
/// field, so the event is decoded again as the kind its shape says (`"version": "2.0"` or a
/// `requestContext.http`: an HTTP API or function URL event; else a REST API event), for the
/// path of the field that does not fit.
fn request_error(event: &[u8], error: FunctionError) -> FunctionError {
    use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
    let Ok(value) = serde_json::from_slice::<Value>(event) else { return error };
    if error.error_type != FunctionError::INVALID_INPUT {
        return error;
    }
    let http_api =
        value.get("version").and_then(Value::as_str) == Some("2.0") || value.pointer("/requestContext/http").is_some();
    let (described, kind) = if http_api {
        (lambda::describe::<ApiGatewayV2httpRequest>(event), "an API Gateway HTTP API or function URL event")
    } else {
        (lambda::describe::<ApiGatewayProxyRequest>(event), "an API Gateway REST API event")
    };
    FunctionError::new(FunctionError::INVALID_INPUT, format!("{} (read as {kind})", described.message))
}
