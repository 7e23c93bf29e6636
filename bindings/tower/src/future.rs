//! The future of a guarded call: the inner service's response, with its status fed back to
//! the Guard, or a denial answered at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::Response;
use pin_project_lite::pin_project;
use tokenward::TokenId;

use crate::body::GuardBody;
use crate::denial;
use crate::layer::Shared;

/// What to feed back to the Guard when an allowed request's response is known.
pub(crate) struct Outcome {
    shared: Arc<Shared>,
    token: TokenId,
    grpc: bool,
}

impl Outcome {
    pub(crate) fn new(shared: Arc<Shared>, token: TokenId, grpc: bool) -> Outcome {
        Outcome {
            shared,
            token,
            grpc,
        }
    }

    fn record<B, E>(self, result: &Result<Response<B>, E>) {
        let status = match result {
            Ok(response) if self.grpc => {
                denial::grpc_outcome(response.headers(), response.status())
            }
            Ok(response) => response.status().as_u16(),
            Err(_) => 500,
        };
        let now = (self.shared.clock)();
        // The reaction's alerts and actions are queued as events too; the host drains them.
        let _ = self.shared.guard.record_outcome(&self.token, status, now);
        self.shared.emit_events();
    }
}

pin_project! {
    /// The [`GuardService`](crate::GuardService)'s response future.
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Inner {
            #[pin]
            future: F,
            outcome: Option<Outcome>,
        },
        Denied {
            response: Option<Response<Bytes>>,
        },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn inner(future: F, outcome: Option<Outcome>) -> ResponseFuture<F> {
        ResponseFuture {
            state: State::Inner { future, outcome },
        }
    }

    pub(crate) fn denied(response: Response<Bytes>) -> ResponseFuture<F> {
        ResponseFuture {
            state: State::Denied {
                response: Some(response),
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<GuardBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future, outcome } => {
                let result = ready!(future.poll(cx));
                if let Some(outcome) = outcome.take() {
                    outcome.record(&result);
                }
                Poll::Ready(result.map(|response| response.map(GuardBody::inner)))
            }
            StateProj::Denied { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response.map(GuardBody::denial))),
                // Polled again after it completed: a contract breach by the caller. Stay
                // pending rather than panic.
                None => Poll::Pending,
            },
        }
    }
}
