//! The response body of a guarded service: the inner service's, or a denial's.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// The body of a [`GuardService`](crate::GuardService)'s responses: the inner service's
    /// body unchanged, or the bytes of a denial (the JSON body; nothing for a gRPC denial,
    /// which is trailers-only).
    pub struct GuardBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner {
            #[pin]
            body: B,
        },
        // A denial's body, taken when sent.
        Denial {
            body: Option<Bytes>,
        },
    }
}

impl<B> GuardBody<B> {
    pub(crate) fn inner(body: B) -> GuardBody<B> {
        GuardBody {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn denial(body: Bytes) -> GuardBody<B> {
        GuardBody {
            kind: Kind::Denial {
                body: (!body.is_empty()).then_some(body),
            },
        }
    }
}

impl<B> std::fmt::Debug for GuardBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::Inner { .. } => "inner",
            Kind::Denial { .. } => "denial",
        };
        f.debug_struct("GuardBody").field("kind", &kind).finish()
    }
}

impl<B> Body for GuardBody<B>
where
    B: Body,
    B::Data: From<Bytes>,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Denial { body } => {
                Poll::Ready(body.take().map(|bytes| Ok(Frame::data(bytes.into()))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Denial { body } => body.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Denial { body } => {
                SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64))
            }
        }
    }
}
