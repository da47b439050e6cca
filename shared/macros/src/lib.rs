//! The `#[handler]` attribute of `eventbridge-lambda`. Depend on `eventbridge-lambda`, which
//! re-exports it and documents it; this crate only holds the macro.
//!
//! The macro leaves the user's function untouched (so tests call it directly) and adds
//! `fn <name>_dispatcher` (the function's whole pipeline, which tests can feed payloads) and a
//! `fn main` that calls `eventbridge_lambda::__private::start` with it. Every error it reports points at
//! the user's own tokens.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, Path, PathArguments, ReturnType, Type};

mod derive_detail;
mod derive_typed_detail;
mod detail_attr;

/// Implements `TypedDetail` from `#[detail(source = "…", detail_type = "…")]`.
/// See `eventbridge_lambda::TypedDetail` for the documentation.
#[proc_macro_derive(TypedDetail, attributes(detail))]
pub fn derive_typed_detail(item: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(item as syn::DeriveInput);
    derive_typed_detail::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `Detail` for an enum whose variants each hold a detail type, routed by the event's
/// `source` and `detail-type`. See `eventbridge_lambda::Detail` for the documentation.
#[proc_macro_derive(Detail, attributes(detail))]
pub fn derive_detail(item: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(item as syn::DeriveInput);
    derive_detail::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Generates the Lambda entry point for an `async fn` over `Event<T>`.
/// See `eventbridge_lambda::handler` for the documentation.
#[proc_macro_attribute]
pub fn handler(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function = syn::parse_macro_input!(item as ItemFn);
    let mut options = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("state") {
            options.state_init = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("dedup_key") {
            options.dedup_key = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("custom_bus_partial_failures") {
            options.custom_bus_partial_failures = true;
            Ok(())
        } else {
            Err(meta.error(
                "unknown #[handler] option; expected `state = path::to::async_init_fn`, `dedup_key = detail_field` or `custom_bus_partial_failures`",
            ))
        }
    });
    syn::parse_macro_input!(attr with parser);
    match expand(&function, &options) {
        Ok(main) => quote!(#function #main).into(),
        Err(error) => {
            // An empty `main` keeps the only error the one that explains the problem.
            let error = error.to_compile_error();
            quote!(#function #error fn main() {}).into()
        }
    }
}

/// The attribute's options.
#[derive(Default)]
struct Options {
    /// `state = path`: the async initialiser of the handler's `&S` argument.
    state_init: Option<Path>,
    /// `dedup_key = field.path`: a field of the detail to de-duplicate on instead of the event id.
    dedup_key: Option<syn::Expr>,
    /// `custom_bus_partial_failures`: report a Custom Event Bus batch's failed records as
    /// `batchItemFailures` instead of failing the invocation.
    custom_bus_partial_failures: bool,
}

/// The role of one handler argument.
enum Role {
    Event,
    Context,
    State,
}

fn expand(function: &ItemFn, options: &Options) -> syn::Result<TokenStream2> {
    let state_init = options.state_init.as_ref();
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        return Err(syn::Error::new(
            signature.fn_token.span(),
            "#[handler] needs an `async fn`: write `async fn name(event: Event<T>) -> Result<R, E>`",
        ));
    }
    if !signature.generics.params.is_empty() {
        return Err(syn::Error::new(
            signature.generics.span(),
            "#[handler] functions cannot be generic: name the detail type, e.g. `Event<OrderCreated>`",
        ));
    }
    check_returns_result(&signature.output, signature.ident.span())?;

    let mut roles = Vec::new();
    let mut event_type = None;
    let mut state_type = None;
    for (index, input) in signature.inputs.iter().enumerate() {
        let FnArg::Typed(argument) = input else {
            return Err(syn::Error::new(
                input.span(),
                "#[handler] functions cannot take `self`",
            ));
        };
        let ty = &*argument.ty;
        if index == 0 {
            if !is_event(ty) {
                return Err(syn::Error::new_spanned(
                    ty,
                    "the first argument of a #[handler] function must be the event: `Event<T>` (T: a detail type such as `OrderCreated`, or `serde_json::Value`)",
                ));
            }
            event_type = Some(ty.clone());
            roles.push(Role::Event);
        } else if last_segment_is(ty, "Context") {
            roles.push(Role::Context);
        } else if let Type::Reference(reference) = ty {
            if reference.mutability.is_some() {
                return Err(syn::Error::new_spanned(
                    ty,
                    "the state argument must be a shared reference `&S`",
                ));
            }
            if state_init.is_none() {
                return Err(syn::Error::new_spanned(
                    ty,
                    "a `&S` state argument needs its initialiser: `#[handler(state = path::to::async_init_fn)]`",
                ));
            }
            state_type = Some((*reference.elem).clone());
            roles.push(Role::State);
        } else {
            return Err(syn::Error::new_spanned(
                ty,
                "unexpected #[handler] argument: after the event, a handler takes `Context` and/or the state `&S`",
            ));
        }
    }
    let Some(event_type) = event_type else {
        return Err(syn::Error::new(
            signature.paren_token.span.join(),
            "a #[handler] function takes the event as its first argument: `event: Event<T>`",
        ));
    };
    if let (None, Some(init)) = (&state_type, state_init) {
        return Err(syn::Error::new(
            init.span(),
            "`state = …` is set but the function takes no `&S` argument",
        ));
    }

    let name = &signature.ident;
    let arguments = roles.iter().map(|role| match role {
        Role::Event => quote!(__event),
        Role::Context => quote!(__ctx),
        Role::State => quote!(__state),
    });
    let has_state = state_type.is_some();
    let (init, state_type) = match (state_init, state_type) {
        (Some(init), Some(state_type)) => (
            quote_spanned!(init.span()=> async { #init().await }),
            quote!(#state_type),
        ),
        _ => (
            quote!(async { ::core::result::Result::<(), ::core::convert::Infallible>::Ok(()) }),
            quote!(()),
        ),
    };
    // Checked here so that a detail type without `Detail` is reported at the user's type.
    let detail_type = event_detail(&event_type);
    let detail_check = quote_spanned!(detail_type.span()=>
        const _: () = {
            fn __requires_detail<T: ::eventbridge_lambda::Detail>() {}
            let _ = __requires_detail::<#detail_type>;
        };
    );
    let call = quote_spanned!(event_type.span()=>
        move |__event: #event_type, __ctx: ::eventbridge_lambda::Context| #name(#(#arguments),*)
    );
    let with_key = match &options.dedup_key {
        None => quote!(),
        Some(field) => quote_spanned!(field.span()=>
            .with_key(|__event: &#event_type| {
                ::eventbridge_lambda::dispatch::BusinessKey::business_key(&__event.detail.#field)
                    .map(::std::borrow::Cow::into_owned)
            })
        ),
    };
    let partial_failures = if options.custom_bus_partial_failures {
        quote!(.with_custom_bus_partial_failures())
    } else {
        quote!()
    };
    // Spanned at the detail type, so that a type without `Detail` is reported there.
    let new_dispatcher = quote_spanned!(detail_type.span()=>
        ::eventbridge_lambda::Dispatcher::new(#call) #with_key #partial_failures
    );
    let visibility = &function.vis;
    let dispatcher_name = quote::format_ident!("{}_dispatcher", name);
    let dispatcher_doc = format!(
        " The event pipeline of [`{name}`] (decode, de-duplication, handler), exactly as the \
         generated `main` runs it. It uses a `MemoryStore` until given another with `with_store`: \
         tests feed payloads to it with `invoke` (a direct event or an SQS batch)."
    );
    let handler_type = quote!(
        impl ::eventbridge_lambda::dispatch::EventHandler<#detail_type>
            + ::core::marker::Send
            + ::core::marker::Sync
            + 'static
    );
    let (dispatcher_fn, make_dispatcher) = if has_state {
        (
            quote! {
                #[doc = #dispatcher_doc]
                #[allow(dead_code)]
                #visibility fn #dispatcher_name(
                    __state: &'static #state_type,
                ) -> ::eventbridge_lambda::Dispatcher<#detail_type, #handler_type> {
                    #new_dispatcher
                }
            },
            quote!(#dispatcher_name),
        )
    } else {
        (
            quote! {
                #[doc = #dispatcher_doc]
                #[allow(dead_code)]
                #visibility fn #dispatcher_name()
                    -> ::eventbridge_lambda::Dispatcher<#detail_type, #handler_type> {
                    #new_dispatcher
                }
            },
            quote!(|_: &'static ()| #dispatcher_name()),
        )
    };
    Ok(quote! {
        #detail_check

        #dispatcher_fn

        /// The Lambda entry point generated by `#[eventbridge_lambda::handler]`.
        fn main() -> ::core::result::Result<(), ::eventbridge_lambda::BoxError> {
            ::eventbridge_lambda::__private::start(#init, #make_dispatcher)
        }
    })
}

fn check_returns_result(output: &ReturnType, name_span: Span) -> syn::Result<()> {
    match output {
        ReturnType::Default => Err(syn::Error::new(
            name_span,
            "a #[handler] function must return `Result<R, E>` (R: Serialize, E: std::error::Error or String)",
        )),
        ReturnType::Type(_, ty) if last_segment_is(ty, "Result") => Ok(()),
        ReturnType::Type(_, ty) => Err(syn::Error::new_spanned(
            ty,
            "a #[handler] function must return `Result<R, E>` (R: Serialize, E: std::error::Error or String)",
        )),
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        _ => None,
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|segment| segment.ident == name)
}

/// The `T` of `Event<T>` (the caller checked the shape with [`is_event`]).
fn event_detail(ty: &Type) -> Type {
    last_segment(ty)
        .and_then(|segment| match &segment.arguments {
            PathArguments::AngleBracketed(arguments) => arguments.args.first(),
            _ => None,
        })
        .and_then(|argument| match argument {
            GenericArgument::Type(detail) => Some(detail.clone()),
            _ => None,
        })
        .unwrap_or_else(|| ty.clone())
}

fn is_event(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|segment| {
        segment.ident == "Event"
            && matches!(&segment.arguments, PathArguments::AngleBracketed(arguments)
                if arguments.args.len() == 1 && matches!(arguments.args[0], GenericArgument::Type(_)))
    })
}
